package chat.hashing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BoundedLoadsTest {

    @ParameterizedTest
    @ValueSource(longs = {21, 22, 23})
    void capHoldsAndEveryKeyLandsOnALiveNodeUnderRandomAddRemove(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> pool = HashRingTest.nodeIds(30, seed);
        long[] keys = HashRingTest.keys(20_000, seed);
        // one probe and few points: a lumpy ring, so the cap really binds
        HashRing ring = HashRing.builder().direction(HashRing.Direction.CLOCKWISE).virtualNodes(4).node(pool.get(0)).node(pool.get(1)).build();
        for (int step = 0; step < 40; step++) {
            String id = pool.get(rnd.nextInt(pool.size()));
            ring = ring.contains(id) && ring.size() > 1 ? ring.withoutNode(id) : ring.withNode(id, 1 + rnd.nextInt(3));
            double c = 1.0 + rnd.nextInt(50) / 100.0;
            int[] owners = BoundedLoads.assign(ring, keys, c);
            int[] load = new int[ring.size()];
            for (int o : owners) {
                load[o]++;
            }
            int[] caps = BoundedLoads.capacities(ring, keys.length, c);
            for (int n = 0; n < ring.size(); n++) {
                double fair = keys.length * ring.weight(n) / ring.totalWeight();
                assertTrue(load[n] <= caps[n], "node " + n + " load " + load[n] + " over cap " + caps[n]);
                assertTrue(caps[n] <= Math.ceil(c * fair - 1e-9), "cap above ceil(c * fair share)");
            }
        }
    }

    @Test
    void theCapBindsOnALumpyRingAndAUniformRingIsLeftAlone() {
        long[] keys = HashRingTest.keys(50_000, 31);
        HashRing lumpy = HashRing.builder().direction(HashRing.Direction.CLOCKWISE).virtualNodes(2).node("a:1").node("b:1").node("c:1").node("d:1").build();
        int[] plain = new int[4];
        for (long k : keys) {
            plain[lumpy.nodeIndexOf(k)]++;
        }
        int hottest = java.util.Arrays.stream(plain).max().orElseThrow();
        assertTrue(hottest > 1.25 * keys.length / 4, "precondition: the plain ring is lumpy (" + hottest + ")");
        int[] bounded = new int[4];
        for (int o : BoundedLoads.assign(lumpy, keys, 1.25)) {
            bounded[o]++;
        }
        assertTrue(java.util.Arrays.stream(bounded).max().orElseThrow() <= Math.ceil(1.25 * keys.length / 4));

        // on the default ring nothing is near the cap: bounded loads must not disturb the mapping
        HashRing uniform = HashRingTest.ring(HashRingTest.nodeIds(10, 31));
        int[] owners = BoundedLoads.assign(uniform, keys, 1.25);
        for (int i = 0; i < keys.length; i++) {
            assertEquals(uniform.nodeIndexOf(keys[i]), owners[i]);
        }
    }

    @Test
    void overflowGoesToTheNextNodeClockwise() {
        HashRing ring = HashRingTest.ring(HashRingTest.nodeIds(5, 32));
        long key = 12345;
        int[] replicas = new int[5];
        ring.replicaIndexes(key, replicas);
        int[] caps = {1, 1, 1, 1, 1};
        int[] load = new int[5];
        load[replicas[0]] = 1;
        load[replicas[1]] = 1;
        assertEquals(replicas[2], BoundedLoads.place(ring, key, caps, load));
    }

    @Test
    void loadFactorBelowOneIsRejected() {
        HashRing ring = HashRing.builder().node("a").build();
        var e = assertThrows(IllegalArgumentException.class, () -> BoundedLoads.assign(ring, new long[] {1}, 0.9));
        assertTrue(e.getMessage().contains(">= 1.0"));
    }
}
