package chat.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.media.MediaId;
import chat.media.MediaSamples;
import chat.media.OriginHarness;
import java.net.URI;
import org.apache.pekko.http.javadsl.ServerBinding;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EdgeServerTest {
  static OriginHarness origin;

  @BeforeAll
  static void start() throws Exception {
    origin = OriginHarness.shared();
  }

  /** Uploads as alice and returns a signed URL to it. */
  static String signedUrlFor(byte[] png) throws Exception {
    return origin.media.signedUrl(origin.uploaded("alice", "image/png", png).get("mediaId").asText());
  }

  static String xCache(HttpResponse<?> response) {
    return response.headers().firstValue("X-Cache").orElse("(none)");
  }

  @Test
  void hundredConcurrentMissesMakeOneOriginFetchThenHitsCarryAge() throws Exception {
    byte[] png = MediaSamples.png(640, 480);
    String url = signedUrlFor(png);
    try (EdgeHarness edge = new EdgeHarness(origin.base)) {
      int before = origin.mediaRequests.get();
      List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        all.add(edge.http.sendAsync(HttpRequest.newBuilder(URI.create(edge.base + url)).build(),
            HttpResponse.BodyHandlers.ofByteArray()));
      }
      int misses = 0;
      for (CompletableFuture<HttpResponse<byte[]>> f : all) {
        HttpResponse<byte[]> response = f.get();
        assertEquals(200, response.statusCode());
        assertArrayEquals(png, response.body());
        assertTrue(response.headers().firstValue("Age").isPresent());
        if (xCache(response).equals("MISS")) misses++;
        else assertEquals("HIT", xCache(response));
      }
      assertEquals(1, misses);
      assertEquals(1, origin.mediaRequests.get() - before, "one origin fetch for 100 concurrent misses");
      assertEquals(1, edge.edge.upstreamFetches());

      edge.advance(Duration.ofSeconds(7));
      HttpResponse<byte[]> later = edge.get(url);
      assertEquals("HIT", xCache(later));
      assertEquals("7", later.headers().firstValue("Age").orElseThrow());
      assertTrue(later.headers().firstValue("Cache-Control").orElseThrow().contains("immutable"));
      assertEquals(1, origin.mediaRequests.get() - before);
    }
  }

  @Test
  void rangesAreServedFromCacheAndAMissedRangeFetchesTheObjectOnce() throws Exception {
    byte[] png = MediaSamples.noisyPng(120, 120, 11);
    String url = signedUrlFor(png);
    try (EdgeHarness edge = new EdgeHarness(origin.base)) {
      int before = origin.mediaRequests.get();
      HttpResponse<byte[]> first = edge.get(url, "Range", "bytes=100-199");
      assertEquals(206, first.statusCode());
      assertEquals("MISS", xCache(first));
      assertArrayEquals(Arrays.copyOfRange(png, 100, 200), first.body());

      HttpResponse<byte[]> second = edge.get(url, "Range", "bytes=-50");
      assertEquals(206, second.statusCode());
      assertEquals("HIT", xCache(second));
      assertEquals("bytes " + (png.length - 50) + "-" + (png.length - 1) + "/" + png.length,
          second.headers().firstValue("Content-Range").orElseThrow());
      assertArrayEquals(Arrays.copyOfRange(png, png.length - 50, png.length), second.body());

      HttpResponse<byte[]> whole = edge.get(url);
      assertArrayEquals(png, whole.body());
      HttpResponse<byte[]> notModified = edge.get(url, "If-None-Match", whole.headers().firstValue("ETag").orElseThrow());
      assertEquals(304, notModified.statusCode());
      assertEquals("HIT", xCache(notModified));
      assertEquals(1, origin.mediaRequests.get() - before);
    }
  }

  @Test
  void objectsTooLargeForMemoryAreStreamedFromDisk() throws Exception {
    byte[] png = MediaSamples.noisyPng(200, 200, 5);
    assertTrue(png.length > 100_000);
    String url = signedUrlFor(png);
    try (EdgeHarness edge = new EdgeHarness(origin.base, 4096)) {
      assertEquals("MISS", xCache(edge.get(url)));
      HttpResponse<byte[]> hit = edge.get(url);
      assertEquals("HIT", xCache(hit));
      assertArrayEquals(png, hit.body());
      HttpResponse<byte[]> range = edge.get(url, "Range", "bytes=70000-70009");
      assertArrayEquals(Arrays.copyOfRange(png, 70000, 70010), range.body());
    }
  }

  @Test
  void forgedOrExpiredSignaturesAreRefusedWithoutTouchingTheOrigin() throws Exception {
    String url = signedUrlFor(MediaSamples.png(32, 32));
    String id = url.substring("/api/v1/media/".length(), url.indexOf('?'));
    try (EdgeHarness edge = new EdgeHarness(origin.base)) {
      int before = origin.mediaRequests.get();
      String forged = url.replaceAll("sig=.", "sig=" + (url.contains("sig=A") ? "B" : "A"));
      HttpResponse<byte[]> refused = edge.get(forged);
      assertEquals(403, refused.statusCode());
      assertTrue(new String(refused.body(), StandardCharsets.UTF_8).contains("\"code\":\"forbidden\""));
      String otherExpiry = url.replaceAll("exp=\\d+", "exp=" + (System.currentTimeMillis() / 1000 + 999_999));
      assertEquals(403, edge.get(otherExpiry).statusCode());
      String expired = origin.media.signer().signedPath(MediaId.parse(id).orElseThrow(), System.currentTimeMillis() / 1000 - 1);
      assertEquals(403, edge.get(expired).statusCode());
      assertEquals(401, edge.get("/api/v1/media/" + id).statusCode());
      assertEquals(0, origin.mediaRequests.get() - before);
      assertEquals(0, edge.edge.upstreamFetches());
    }
  }

  @Test
  void bearerRequestsPassThroughUncachedWithTheOriginsAccessRules() throws Exception {
    byte[] png = MediaSamples.png(20, 20);
    String id = origin.uploaded("alice", "image/png", png).get("mediaId").asText();
    try (EdgeHarness edge = new EdgeHarness(origin.base)) {
      HttpResponse<byte[]> own = edge.get("/api/v1/media/" + id, "Authorization", "Bearer " + origin.token("alice"));
      assertEquals(200, own.statusCode());
      assertArrayEquals(png, own.body());
      assertEquals("private", own.headers().firstValue("Cache-Control").orElseThrow());
      assertEquals(403, edge.get("/api/v1/media/" + id, "Authorization", "Bearer " + origin.token("eve")).statusCode());
    }
  }

  @Test
  void purgeAndPushNeedTheAdminTokenAndWork() throws Exception {
    byte[] png = MediaSamples.png(48, 48);
    String url = signedUrlFor(png);
    String id = url.substring("/api/v1/media/".length(), url.indexOf('?'));
    try (EdgeHarness edge = new EdgeHarness(origin.base)) {
      assertEquals("MISS", xCache(edge.get(url)));
      HttpRequest.Builder purge = HttpRequest.newBuilder(URI.create(edge.base + "/edge/v1/cache/" + id)).DELETE();
      assertEquals(401, edge.send(purge).statusCode());
      assertEquals(401, edge.send(purge.copy().header("Authorization", "Bearer wrong")).statusCode());
      HttpResponse<String> purged = edge.send(purge.copy().header("Authorization", "Bearer " + EdgeHarness.ADMIN_TOKEN));
      assertEquals(200, purged.statusCode());
      assertTrue(purged.body().contains("\"purged\":1"), purged.body());
      assertEquals("MISS", xCache(edge.get(url)), "a purged object is fetched again");

      byte[] pushedPng = MediaSamples.png(50, 50);
      String pushedUrl = signedUrlFor(pushedPng);
      String pushedId = pushedUrl.substring("/api/v1/media/".length(), pushedUrl.indexOf('?'));
      HttpRequest.Builder push = HttpRequest.newBuilder(URI.create(edge.base + "/edge/v1/cache/" + pushedId))
          .header("Content-Type", "image/png").PUT(HttpRequest.BodyPublishers.ofByteArray(pushedPng));
      assertEquals(401, edge.send(push).statusCode());
      assertEquals(400, edge.send(push.copy().header("Authorization", "Bearer " + EdgeHarness.ADMIN_TOKEN)
          .header("X-Content-SHA256", "00".repeat(32))).statusCode());
      assertEquals(201, edge.send(push.copy().header("Authorization", "Bearer " + EdgeHarness.ADMIN_TOKEN)).statusCode());
      int before = origin.mediaRequests.get();
      HttpResponse<byte[]> warm = edge.get(pushedUrl);
      assertEquals("HIT", xCache(warm));
      assertArrayEquals(pushedPng, warm.body());
      assertEquals("image/png", warm.headers().firstValue("Content-Type").orElseThrow());
      assertEquals(0, origin.mediaRequests.get() - before, "a pushed object never goes to the origin");
    }
  }

  @Test
  void staleCopiesAreServedWhileTheOriginIsDown() throws Exception {
    ServerBinding flaky = origin.bindAnother();
    {
      byte[] png = MediaSamples.png(64, 64);
      String url = signedUrlFor(png);
      String uncached = signedUrlFor(MediaSamples.png(65, 65));
      try (EdgeHarness edge = new EdgeHarness(OriginHarness.urlOf(flaky))) {
        assertEquals("MISS", xCache(edge.get(url)));
        OriginHarness.stop(flaky);

        edge.advance(Duration.ofSeconds(30));
        assertEquals("HIT", xCache(edge.get(url)), "fresh within the TTL: no origin needed");

        edge.advance(Duration.ofSeconds(60));
        HttpResponse<byte[]> stale = edge.get(url);
        assertEquals(200, stale.statusCode());
        assertEquals("STALE", xCache(stale));
        assertEquals("90", stale.headers().firstValue("Age").orElseThrow());
        assertArrayEquals(png, stale.body());

        HttpResponse<byte[]> nothingCached = edge.get(uncached);
        assertEquals(502, nothingCached.statusCode());
        assertTrue(new String(nothingCached.body(), StandardCharsets.UTF_8).contains("origin_unavailable"));

        edge.advance(Duration.ofMinutes(20));
        assertEquals(502, edge.get(url).statusCode(), "past stale-if-error the copy is no longer served");
      }
    }
  }

  @Test
  void theDiskTierSurvivesAnEdgeRestart() throws Exception {
    byte[] png = MediaSamples.noisyPng(90, 90, 8);
    String url = signedUrlFor(png);
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("parley-edge-restart");
    try {
      EdgeSettings settings = EdgeHarness.settings(origin.base, dir, 1 << 20, 0, List.of(), "");
      try (EdgeHarness first = new EdgeHarness(settings, null, false)) {
        assertEquals("MISS", xCache(first.get(url)));
      }
      int before = origin.mediaRequests.get();
      try (EdgeHarness second = new EdgeHarness(settings, null, false)) {
        HttpResponse<byte[]> hit = second.get(url);
        assertEquals("HIT", xCache(hit));
        assertArrayEquals(png, hit.body());
      }
      assertEquals(0, origin.mediaRequests.get() - before);
    } finally {
      OriginHarness.deleteTree(dir);
    }
  }
}
