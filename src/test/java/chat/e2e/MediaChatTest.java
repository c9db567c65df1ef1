package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.Rest;
import chat.testing.TestServer;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Media shared in a chat: the recipient (and only a member) can fetch it through the URL in the frame. */
class MediaChatTest {
  static TestServer server;
  static Rest rest;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = TestServer.start();
    rest = server.rest();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static byte[] png() throws Exception {
    return png(0xff8800);
  }

  static byte[] png(int color) throws Exception {
    BufferedImage image = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 640; x++) image.setRGB(x, x * 480 / 640, color);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  static HttpResponse<byte[]> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void sharedImageReachesTheRecipientAndNoOneElse() throws Exception {
    String ann = rest.login("mann"), bo = rest.login("mbo"), cy = rest.login("mcy");
    byte[] image = png();
    HttpResponse<String> upload = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/media"))
        .header("Authorization", "Bearer " + ann).header("Content-Type", "image/png")
        .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, upload.statusCode(), upload.body());
    JsonNode meta = new ObjectMapper().readTree(upload.body());
    String mediaId = meta.get("mediaId").asText();
    assertEquals(640, meta.get("width").asInt());

    try (WsClient a = server.connect(ann); WsClient b = server.connect(bo)) {
      a.awaitType("hello");
      b.awaitType("hello");
      a.send("{\"type\":\"send\",\"id\":\"img\",\"to\":\"user:mbo\",\"body\":{\"media\":{\"mediaId\":\"" + mediaId + "\"},\"caption\":\"look\"}}");
      a.awaitType("ack");
      JsonNode msg = b.awaitType("message");
      assertEquals("look", msg.at("/body/caption").asText());
      String url = msg.at("/body/media/url").asText();
      assertTrue(url.startsWith("/api/v1/media/" + mediaId), "a relative signed URL: " + url);
      HttpResponse<byte[]> viaUrl = get(url, null);
      assertEquals(200, viaUrl.statusCode());
      assertArrayEquals(image, viaUrl.body(), "identical bytes through the signed URL");
      assertEquals(200, get("/api/v1/media/" + mediaId, bo).statusCode(), "the recipient may read it with a token");
      assertEquals(403, get("/api/v1/media/" + mediaId, cy).statusCode(), "an outsider may not");

      a.send("{\"type\":\"send\",\"id\":\"bad\",\"to\":\"user:mbo\",\"body\":{\"media\":{\"mediaId\":\"nonexistent\"}}}");
      JsonNode refused = a.awaitType("error");
      assertEquals("bad", refused.get("id").asText());
      assertEquals("not_found", refused.get("code").asText());
    }
    try (WsClient c = server.connect(cy)) {
      c.awaitType("hello");
      c.send("{\"type\":\"send\",\"id\":\"steal\",\"to\":\"user:mann\",\"body\":{\"media\":{\"mediaId\":\"" + mediaId + "\"}}}");
      assertEquals("forbidden", c.awaitType("error").get("code").asText(), "no one shares media they cannot read");
    }
  }

  @Test
  void mediaSharedOnlyInDisappearingMessagesIsDeletedWithThem() throws Exception {
    String dee = rest.login("mdee"), eli = rest.login("meli");
    byte[] image = png(0x0088ff); // its own content, so its own blob
    HttpResponse<String> upload = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/media"))
        .header("Authorization", "Bearer " + dee).header("Content-Type", "image/png")
        .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, upload.statusCode(), upload.body());
    String mediaId = new ObjectMapper().readTree(upload.body()).get("mediaId").asText();
    String sha = new ObjectMapper().readTree(upload.body()).get("sha256").asText();
    java.nio.file.Path blob = server.dataDir.resolve("media/blobs").resolve(sha.substring(0, 2)).resolve(sha.substring(2, 4)).resolve(sha);
    assertTrue(java.nio.file.Files.exists(blob), "stored at " + blob);
    assertEquals(200, rest.call("PUT", "/api/v1/conversations/dm:mdee:meli/settings", dee, "{\"disappearAfterSeconds\":2}").status());
    try (WsClient d = server.connect(dee); WsClient e = server.connect(eli)) {
      d.awaitType("hello");
      e.awaitType("hello");
      d.send("{\"type\":\"send\",\"id\":\"tmp\",\"to\":\"user:meli\",\"body\":{\"media\":{\"mediaId\":\"" + mediaId + "\"}}}");
      d.awaitType("ack");
      assertEquals(200, get("/api/v1/media/" + mediaId, eli).statusCode(), "readable while the message lives");
      e.await(f -> f.path("type").asText().equals("expired"), java.time.Duration.ofSeconds(30));
    }
    long deadline = System.currentTimeMillis() + 60_000; // the node sweeps every parley.ephemeral.shred-interval
    while (java.nio.file.Files.exists(blob) && System.currentTimeMillis() < deadline) Thread.sleep(250);
    assertTrue(!java.nio.file.Files.exists(blob), "the blob is gone from the data dir");
    assertEquals(404, get("/api/v1/media/" + mediaId, dee).statusCode(), "gone for the uploader too");
  }
}
