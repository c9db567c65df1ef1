package chat.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.media.MediaSamples;
import chat.media.OriginHarness;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Two edges sharing one placement: a non-owner fetches misses from the owning edge, which alone asks the origin. */
class EdgeTierTest {
  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void aNonOwnerFetchesThroughTheOwnerAndFallsBackToTheOriginWhenItIsDown() throws Exception {
    OriginHarness origin = OriginHarness.shared();
    {
      String a = "http://127.0.0.1:" + freePort();
      String b = "http://127.0.0.1:" + freePort();
      List<String> peers = List.of(a, b);
      RingPlacement placement = new RingPlacement(peers);
      EdgeHarness edgeA = new EdgeHarness(EdgeHarness.settings(origin.base, Files.createTempDirectory("edge-a"), 1 << 20,
          Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)), peers, a), placement, true);
      EdgeHarness edgeB = new EdgeHarness(EdgeHarness.settings(origin.base, Files.createTempDirectory("edge-b"), 1 << 20,
          Integer.parseInt(b.substring(b.lastIndexOf(':') + 1)), peers, b), placement, true);
      try (edgeA) {
        byte[] ownedByBBytes = null;
        String ownedByB = null;
        String ownedByA = null;
        for (int i = 0; (ownedByB == null || ownedByA == null) && i < 64; i++) {
          byte[] png = MediaSamples.png(10 + i, 10);
          String id = origin.uploaded("alice", "image/png", png).get("mediaId").asText();
          if (placement.ownerOf(id).equals(b) && ownedByB == null) {
            ownedByB = id;
            ownedByBBytes = png;
          } else if (placement.ownerOf(id).equals(a) && ownedByA == null) {
            ownedByA = id;
          }
        }
        int before = origin.mediaRequests.get();
        HttpResponse<byte[]> viaA = edgeA.get(origin.media.signedUrl(ownedByB));
        assertEquals("MISS", viaA.headers().firstValue("X-Cache").orElseThrow());
        assertArrayEquals(ownedByBBytes, viaA.body());
        assertEquals(1, edgeB.edge.upstreamFetches(), "the owner fetched it from the origin");
        assertEquals(1, origin.mediaRequests.get() - before, "the origin saw one request, from the owner");

        HttpResponse<byte[]> viaB = edgeB.get(origin.media.signedUrl(ownedByB));
        assertEquals("HIT", viaB.headers().firstValue("X-Cache").orElseThrow(), "the owner already holds it");
        assertEquals(1, origin.mediaRequests.get() - before);

        edgeA.get(origin.media.signedUrl(ownedByA));
        assertEquals(1, edgeB.edge.upstreamFetches(), "objects A owns never touch B");
        assertEquals(2, origin.mediaRequests.get() - before);

        edgeB.close();
        String another = null;
        for (int i = 0; another == null && i < 64; i++) {
          String id = origin.uploaded("alice", "image/png", MediaSamples.png(100 + i, 12)).get("mediaId").asText();
          if (placement.ownerOf(id).equals(b)) another = id;
        }
        before = origin.mediaRequests.get();
        HttpResponse<byte[]> ownerDown = edgeA.get(origin.media.signedUrl(another));
        assertEquals(200, ownerDown.statusCode());
        assertEquals("MISS", ownerDown.headers().firstValue("X-Cache").orElseThrow());
        assertEquals(1, origin.mediaRequests.get() - before, "with the owner down, A asks the origin itself");
      }
    }
  }
}
