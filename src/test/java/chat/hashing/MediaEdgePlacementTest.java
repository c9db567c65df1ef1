package chat.hashing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class MediaEdgePlacementTest {
    static final List<String> EDGES = List.of("http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://127.0.0.1:9003");

    @Test
    void mediaIdsSpreadOverEdgesAndAFourthEdgeTakesAboutAQuarterOnlyFromTheOthers() {
        MediaEdgePlacement placement = new MediaEdgePlacement(HashingSettings.DEFAULTS, EDGES);
        int ids = 20_000;
        String[] before = new String[ids];
        int[] perEdge = new int[3];
        for (int i = 0; i < ids; i++) {
            before[i] = placement.edgeFor("m" + i);
            perEdge[EDGES.indexOf(before[i])]++;
        }
        for (int count : perEdge) {
            assertTrue(count > ids / 3 * 0.8 && count < ids / 3 * 1.2, "uneven edges: " + count);
        }
        String added = "http://127.0.0.1:9004";
        placement.setEdges(List.of(EDGES.get(0), EDGES.get(1), EDGES.get(2), added));
        int moved = 0;
        for (int i = 0; i < ids; i++) {
            String now = placement.edgeFor("m" + i);
            if (!now.equals(before[i])) {
                moved++;
                assertEquals(added, now);
            }
        }
        assertTrue(Math.abs(moved / (double) ids - 0.25) < 0.06, "moved " + moved);
    }

    @Test
    void fallbackEdgesAreDistinctAndStartWithThePrimary() {
        MediaEdgePlacement placement = new MediaEdgePlacement(HashingSettings.DEFAULTS, EDGES);
        List<String> edges = placement.edgesFor("abc", 2);
        assertEquals(2, new HashSet<>(edges).size());
        assertEquals(placement.edgeFor("abc"), edges.get(0));
        assertEquals(edges, placement.edgesFor("abc", 3).subList(0, 2));
        assertThrows(IllegalArgumentException.class, () -> placement.setEdges(List.of()));
    }
}
