package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.Rest;
import chat.testing.TestServer;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Temporary and permanent chats: settings, exact expiry in every API, and real deletion from storage. */
class DisappearingTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  static JsonNode await(WsClient c, String type, String field, String value) {
    return c.await(f -> f.path("type").asText().equals(type) && (field == null || f.path(field).asText().equals(value)), WAIT);
  }

  static JsonNode findUpdate(Rest rest, String token, String msgId) {
    for (JsonNode u : rest.call("GET", "/api/v1/updates?after=0&limit=1000", token, null).body().get("updates")) {
      if (msgId.equals(u.path("msgId").asText()) && u.path("type").asText().equals("message")) return u;
    }
    throw new AssertionError("no update for " + msgId);
  }

  /** Every file under the data dir that contains {@code needle} as UTF-8 bytes. */
  static List<Path> filesContaining(Path dir, String needle) throws IOException {
    byte[] pattern = needle.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).filter(f -> {
        try {
          byte[] data = Files.readAllBytes(f);
          outer:
          for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) if (data[i + j] != pattern[j]) continue outer;
            return true;
          }
          return false;
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }).toList();
    }
  }

  @Test
  void aTwoSecondMessageVanishesEverywhereWhilePermanentOnesStay() throws Exception {
    Path dir = Files.createTempDirectory("parley-disappear");
    String secret = "secret-" + UUID.randomUUID();
    String permanent = "permanent-" + UUID.randomUUID();
    String after = "after-" + UUID.randomUUID();
    String secretId;
    try (TestServer server = TestServer.start(dir, 0, Map.of())) {
      Rest rest = server.rest();
      String ann = rest.login("dann"), bo = rest.login("dbo");
      try (WsClient a = server.connect(ann); WsClient b = server.connect(bo)) {
        a.awaitType("hello");
        b.awaitType("hello");
        a.sendText("p1", "user:dbo", permanent);
        assertFalse(a.awaitType("ack").has("expiresAt"));
        assertFalse(await(b, "message", null, null).has("expiresAt"), "permanent is the default");

        assertEquals(200, rest.call("PUT", "/api/v1/conversations/dm:dann:dbo/settings", ann, "{\"disappearAfterSeconds\":2}").status());
        assertEquals(2, await(a, "settings", null, null).get("disappearAfterSeconds").asInt());
        JsonNode bSettings = await(b, "settings", null, null);
        assertEquals("dm:dann:dbo", bSettings.get("conversation").asText());
        assertEquals("dann", bSettings.get("by").asText());

        a.sendText("t1", "user:dbo", secret);
        JsonNode ack = a.awaitType("ack");
        secretId = ack.get("msgId").asText();
        JsonNode got = await(b, "message", "msgId", secretId);
        assertEquals(secret, got.at("/body/text").asText());
        assertEquals(got.get("ts").asLong() + 2000, got.get("expiresAt").asLong());
        assertTrue(filesContaining(dir, secret).isEmpty(), "a temporary body never reaches storage in the clear");
        assertFalse(filesContaining(dir, permanent).isEmpty(), "the scanner finds bodies stored in the clear");

        // the timer goes back to permanent: the message sent before keeps its own rule
        assertEquals(200, rest.call("PUT", "/api/v1/conversations/dm:dann:dbo/settings", bo, "{\"disappearAfterSeconds\":0}").status());
        await(a, "settings", "by", "dbo");
        b.sendText("p2", "user:dann", after);
        assertFalse(await(a, "message", null, null).has("expiresAt"));

        JsonNode expiredA = await(a, "expired", null, null);
        JsonNode expiredB = await(b, "expired", null, null);
        assertEquals(secretId, expiredA.get("msgIds").get(0).asText());
        assertEquals(secretId, expiredB.get("msgIds").get(0).asText());
        assertEquals("dm:dann:dbo", expiredB.get("conversation").asText());

        for (String token : List.of(ann, bo)) {
          JsonNode tomb = findUpdate(rest, token, secretId);
          assertTrue(tomb.get("expired").asBoolean());
          assertFalse(tomb.has("body"), "no body after expiry: " + tomb);
          assertTrue(rest.call("GET", "/api/v1/updates?after=0&limit=1000", token, null).raw().contains(permanent));
          assertFalse(rest.call("GET", "/api/v1/updates?after=0&limit=1000", token, null).raw().contains(secret));
        }
        b.sendJson("type", "sync", "after", 0);
        JsonNode replayed = await(b, "message", "msgId", secretId);
        assertTrue(replayed.get("expired").asBoolean());
        assertFalse(replayed.has("body"));
      }
    }
    assertTrue(filesContaining(dir, secret).isEmpty(), "after stopping, the text is nowhere in the data dir");
    assertFalse(filesContaining(dir, permanent).isEmpty());
    assertFalse(filesContaining(dir, after).isEmpty(), "permanent chats keep everything");
  }

  @Test
  void messagesSentBackToBackAroundAChangeKeepTheRuleOfTheirPlaceInTheStream() throws Exception {
    try (TestServer server = TestServer.start(Files.createTempDirectory("parley-disappear"), 0, Map.of())) {
      Rest rest = server.rest();
      String ann = rest.login("qann"), bo = rest.login("qbo");
      try (WsClient a = server.connect(ann); WsClient b = server.connect(bo)) {
        a.awaitType("hello");
        b.awaitType("hello");
        // no waiting for acks: the server gathers what arrives together into one write
        for (int i = 0; i < 20; i++) {
          a.sendText("q" + i, "user:qbo", "m" + i);
          if (i == 5) a.sendText("q5", "user:qbo", "m5 again"); // a resend inside the same burst
        }
        assertEquals(200, rest.call("PUT", "/api/v1/conversations/dm:qann:qbo/settings", ann, "{\"disappearAfterSeconds\":600}").status());
        for (int i = 20; i < 40; i++) a.sendText("q" + i, "user:qbo", "m" + i);

        List<JsonNode> acks = a.awaitTypes("ack", 41, WAIT);
        List<String> resentIds = acks.stream().filter(k -> k.get("id").asText().equals("q5")).map(k -> k.get("msgId").asText()).toList();
        assertEquals(2, resentIds.size());
        assertEquals(resentIds.get(0), resentIds.get(1), "the resend gets the original's ack");

        long seq = -1;
        boolean changed = false;
        int next = 0;
        while (next < 40) {
          JsonNode f = b.await(x -> x.path("type").asText().equals("message") || x.path("type").asText().equals("settings"), WAIT);
          if (seq >= 0) assertEquals(seq + 1, f.get("seq").asLong(), "gapless");
          seq = f.get("seq").asLong();
          if (f.get("type").asText().equals("settings")) {
            assertFalse(changed, "one change");
            changed = true;
            continue;
          }
          assertEquals("m" + next, f.at("/body/text").asText(), "the sender's order, each message once");
          assertEquals(changed, f.has("expiresAt"), "temporary exactly when it follows the change: " + f);
          if (next >= 20) assertTrue(changed, "sent after the change was confirmed");
          next++;
        }
        assertTrue(changed);
      }
    }
  }

  @Test
  void restartBeforeAndAfterExpiry() throws Exception {
    Path dir = Files.createTempDirectory("parley-disappear-restart");
    String text = "restart-" + UUID.randomUUID();
    String ann, bo, msgId;
    long expiresAt;
    try (TestServer server = TestServer.start(dir, 0, Map.of())) {
      Rest rest = server.rest();
      ann = rest.login("rann");
      bo = rest.login("rbo");
      assertEquals(200, rest.call("PUT", "/api/v1/conversations/dm:rann:rbo/settings", ann, "{\"disappearAfterSeconds\":6}").status());
      try (WsClient a = server.connect(ann)) {
        a.awaitType("hello");
        a.sendText("x", "user:rbo", text);
        JsonNode ack = a.awaitType("ack");
        msgId = ack.get("msgId").asText();
        expiresAt = ack.get("ts").asLong() + 6000;
      }
    }
    try (TestServer server = TestServer.start(dir, 0, Map.of())) {
      Rest rest = server.rest();
      if (System.currentTimeMillis() < expiresAt - 500) {
        assertEquals(text, findUpdate(rest, bo, msgId).at("/body/text").asText(), "still readable before expiry, after a restart");
      }
      try (WsClient b = server.connect(bo)) {
        b.awaitType("hello");
        JsonNode expired = await(b, "expired", null, null);
        assertEquals(msgId, expired.get("msgIds").get(0).asText());
        assertTrue(System.currentTimeMillis() >= expiresAt);
      }
    }
    try (TestServer server = TestServer.start(dir, 0, Map.of())) {
      JsonNode tomb = findUpdate(server.rest(), bo, msgId);
      assertTrue(tomb.get("expired").asBoolean(), "still a tombstone after a restart past expiry");
      assertFalse(tomb.has("body"));
    }
  }

  @Test
  void groupTimersAndWhoMaySetThem() throws Exception {
    try (TestServer server = TestServer.start()) {
      Rest rest = server.rest();
      String owner = rest.login("gtowner"), member = rest.login("gtmember"), outsider = rest.login("gtout");
      Rest.Response created = rest.call("POST", "/api/v1/groups", owner, "{\"name\":\"t\",\"members\":[\"gtmember\"],\"adminsOnlySettings\":true}");
      String gid = created.body().get("groupId").asText();
      String path = "/api/v1/conversations/group:" + gid + "/settings";
      assertEquals(403, rest.call("PUT", path, member, "{\"disappearAfterSeconds\":2}").status(), "admins only, as the group says");
      assertEquals(403, rest.call("PUT", path, outsider, "{\"disappearAfterSeconds\":2}").status());
      assertEquals(400, rest.call("PUT", path, owner, "{\"disappearAfterSeconds\":-1}").status());
      assertEquals(200, rest.call("PUT", path, owner, "{\"disappearAfterSeconds\":2}").status());
      try (WsClient m = server.connect(member); WsClient o = server.connect(owner)) {
        m.awaitType("hello");
        o.awaitType("hello");
        m.sendJson("type", "sync", "after", 0);
        assertEquals(2, await(m, "settings", null, null).get("disappearAfterSeconds").asInt());
        o.send("{\"type\":\"send\",\"id\":\"g1\",\"to\":\"group:" + gid + "\",\"body\":{\"text\":\"brief\"}}");
        String msgId = o.awaitType("ack").get("msgId").asText();
        JsonNode msg = await(m, "message", "msgId", msgId);
        assertTrue(msg.get("expiresAt").asLong() > 0);
        assertEquals(msgId, await(m, "expired", null, null).get("msgIds").get(0).asText());
        assertTrue(findUpdate(rest, member, msgId).get("expired").asBoolean());
      }
    }
  }
}
