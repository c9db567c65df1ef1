package chat.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.media.MediaId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RingPlacementTest {
  private static final int KEYS = 20_000;

  @Test
  void addingAnEdgeMovesOnlyItsShareAndOnlyToIt() {
    List<String> four = List.of("http://10.0.0.1:8090", "http://10.0.0.2:8090", "http://10.0.0.3:8090", "http://10.0.0.4:8090");
    List<String> five = new ArrayList<>(four);
    five.add("http://10.0.0.5:8090");
    EdgePlacement before = new RingPlacement(four);
    EdgePlacement after = new RingPlacement(five);
    int moved = 0;
    for (int i = 0; i < KEYS; i++) {
      String key = MediaId.newMediaId();
      String was = before.ownerOf(key);
      String now = after.ownerOf(key);
      if (!was.equals(now)) {
        moved++;
        assertEquals("http://10.0.0.5:8090", now, "a key only ever moves to the new edge");
      }
    }
    double fraction = (double) moved / KEYS;
    assertTrue(fraction > 0.16 && fraction < 0.24, "about 1/5 of keys move, got " + fraction);
  }

  @Test
  void keysSpreadEvenlyAndPlacementIsStable() {
    List<String> nodes = List.of("http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://127.0.0.1:9003");
    EdgePlacement placement = new RingPlacement(nodes);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < KEYS; i++) {
      String key = MediaId.newMediaId();
      assertEquals(placement.ownerOf(key), new RingPlacement(List.copyOf(nodes)).ownerOf(key));
      counts.merge(placement.ownerOf(key), 1, Integer::sum);
    }
    for (String node : nodes) {
      double share = counts.getOrDefault(node, 0) / (double) KEYS;
      assertTrue(share > 0.29 && share < 0.38, node + " got " + share);
    }
  }
}
