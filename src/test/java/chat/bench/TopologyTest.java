package chat.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TopologyTest {

    @Test
    void pairsAreEvenWithNextOdd() {
        Topology t = new Topology.Pairs(6);
        assertArrayEquals(new int[] {5}, t.peers(4));
        assertArrayEquals(new int[] {4}, t.peers(5));
        assertEquals(0, t.slot(4, 5));
        assertEquals(-1, t.slot(4, 3));
    }

    @Test
    void groupSlotsIndexThePeerListOfTheReceiver() {
        Topology.Groups t = new Topology.Groups(12, 4);
        assertArrayEquals(new int[] {4, 5, 7}, t.peers(6));
        int[] peers = t.peers(6);
        for (int i = 0; i < peers.length; i++) {
            assertEquals(i, t.slot(6, peers[i]));
        }
        assertEquals(-1, t.slot(6, 6), "nobody is their own peer");
        assertEquals(-1, t.slot(6, 3), "other group");
        assertEquals(-1, t.slot(6, 12), "no such user");
    }
}
