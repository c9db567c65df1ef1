package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.Rest;
import chat.testing.TestServer;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Garbage in gets a clear error frame or status, and leaves every stored stream untouched. */
class BadInputTest {
  static TestServer server;
  static Rest rest;

  @BeforeAll
  static void start() throws Exception {
    // a small bucket so flooding is quick to provoke
    server = TestServer.start(Files.createTempDirectory("parley-bad"), 0,
        Map.of("parley.limits.frames-per-second", 20, "parley.limits.frames-burst", 40));
    rest = server.rest();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonNode error(WsClient c) {
    return c.awaitType("error");
  }

  @Test
  void everyKindOfGarbageGetsItsErrorCodeAndTheSocketKeepsWorking() {
    String alice = rest.login("badalice"), bob = rest.login("badbob");
    try (WsClient a = server.connect(alice)) {
      a.awaitType("hello");
      a.send("{not json");
      assertEquals("invalid", error(a).get("code").asText());
      a.send("[1,2,3]");
      assertEquals("invalid", error(a).get("code").asText());
      a.send("{\"type\":\"teleport\"}");
      assertEquals("unknown_type", error(a).get("code").asText());
      a.send("{\"type\":\"send\",\"to\":\"user:badbob\",\"body\":{\"text\":\"no id\"}}");
      assertEquals("invalid", error(a).get("code").asText());
      a.send("{\"type\":\"send\",\"id\":\"x1\",\"to\":\"user:badbob\"}");
      JsonNode noBody = error(a);
      assertEquals("invalid", noBody.get("code").asText());
      assertEquals("x1", noBody.get("id").asText());
      a.send("{\"type\":\"send\",\"id\":\"x2\",\"to\":\"user:nobody-here\",\"body\":{\"text\":\"hello?\"}}");
      JsonNode unknown = error(a);
      assertEquals("not_found", unknown.get("code").asText());
      assertEquals("x2", unknown.get("id").asText());
      a.send("{\"type\":\"sync\",\"after\":-5}");
      assertEquals("invalid", error(a).get("code").asText());
      a.send("{\"type\":\"read\",\"conversation\":\"dm:someone:else\",\"upTo\":3}");
      assertEquals("not_member", error(a).get("code").asText());

      String huge = "{\"type\":\"send\",\"id\":\"big\",\"to\":\"user:badbob\",\"body\":{\"text\":\"" + "x".repeat(70_000) + "\"}}";
      a.send(huge);
      assertEquals("too_large", error(a).get("code").asText());

      // still alive, and a valid message goes through
      a.sendText("ok1", "user:badbob", "valid");
      assertEquals("ok1", a.awaitType("ack").get("id").asText());
    }
    // nothing of the rejected frames was stored: bob has exactly the one valid message
    Rest.Response updates = rest.call("GET", "/api/v1/updates?after=0", bob, null);
    assertEquals(1, updates.body().get("lastSeq").asLong());
    assertEquals("valid", updates.body().at("/updates/0/body/text").asText());
  }

  @Test
  void binaryFramesAreRefused() throws Exception {
    String token = rest.login("binuser");
    try (WsClient a = server.connect(token)) {
      a.awaitType("hello");
      java.lang.reflect.Field f = WsClient.class.getDeclaredField("socket");
      f.setAccessible(true);
      ((java.net.http.WebSocket) f.get(a)).sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
      assertEquals("invalid", error(a).get("code").asText());
    }
  }

  @Test
  void floodingIsRateLimitedWithoutHarmingStoredData() {
    String token = rest.login("flooder");
    rest.login("floodee");
    try (WsClient a = server.connect(token)) {
      a.awaitType("hello");
      for (int i = 0; i < 200; i++) a.sendText("f" + i, "user:floodee", "spam " + i);
      List<JsonNode> frames = a.drain(Duration.ofSeconds(2));
      long limited = frames.stream().filter(f -> "rate_limited".equals(f.path("code").asText())).count();
      long acked = frames.stream().filter(f -> "ack".equals(f.path("type").asText())).count();
      assertTrue(limited > 0, "flooding must be rate limited");
      assertEquals(200, limited + acked, "every send is either acked or refused");
      Rest.Response stream = rest.call("GET", "/api/v1/updates?after=0&limit=1000", rest.login("floodee"), null);
      assertEquals(acked, stream.body().get("lastSeq").asLong(), "exactly the acked messages are stored");
    }
  }

  @Test
  void socketsAndRestNeedAValidToken() {
    assertThrows(Exception.class, () -> WsClient.connect(server.port(), "forged.token"));
    assertThrows(Exception.class, () -> WsClient.connect(server.port(), ""));
    Rest.Response noToken = rest.call("GET", "/api/v1/updates", "garbage", null);
    assertEquals(401, noToken.status());
    assertEquals("unauthorized", noToken.body().at("/error/code").asText());
    assertEquals(400, rest.call("POST", "/api/v1/accounts", null, "{\"username\":\"A!\",\"password\":\"password1\"}").status());
    assertEquals(400, rest.call("POST", "/api/v1/accounts", null, "{\"username\":\"shortpw\",\"password\":\"1234\"}").status());
    assertEquals(400, rest.call("POST", "/api/v1/accounts", null, "not json").status());
    assertEquals(401, rest.call("POST", "/api/v1/sessions", null, "{\"username\":\"nobody1\",\"password\":\"password1\"}").status());
    Rest.Response missing = rest.call("GET", "/api/v1/no-such-thing", null, null);
    assertEquals(404, missing.status());
    assertEquals("not_found", missing.body().at("/error/code").asText());
  }
}
