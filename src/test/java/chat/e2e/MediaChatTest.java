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
    BufferedImage image = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 640; x++) image.setRGB(x, x * 480 / 640, 0xff8800);
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
}
