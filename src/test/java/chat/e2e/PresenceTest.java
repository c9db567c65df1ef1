package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.Rest;
import chat.testing.TestServer;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Online, last seen, privacy, typing and several devices of one user. */
class PresenceTest {
  static TestServer server;
  static Rest rest;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    rest = server.rest();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonNode presenceOf(WsClient c, String user, boolean online) {
    return c.await(f -> f.path("type").asText().equals("presence") && f.path("user").asText().equals(user)
        && f.path("online").asBoolean() == online, Duration.ofSeconds(15));
  }

  @Test
  void subscribersSeeOnlineThenLastSeen() {
    String alice = rest.login("palice"), bob = rest.login("pbob");
    try (WsClient b = server.connect(bob)) {
      b.awaitType("hello");
      b.send("{\"type\":\"subscribe\",\"users\":[\"palice\"]}");
      JsonNode initial = presenceOf(b, "palice", false);
      assertFalse(initial.has("lastSeen"), "never seen yet");
      long before = System.currentTimeMillis();
      WsClient a = server.connect(alice);
      a.awaitType("hello");
      presenceOf(b, "palice", true);
      a.close();
      JsonNode offline = presenceOf(b, "palice", false);
      long lastSeen = offline.get("lastSeen").asLong();
      assertTrue(lastSeen >= before && lastSeen <= System.currentTimeMillis(), "last seen is the disconnect time");
    }
  }

  /**
   * A rebalance or crash restarts a presence entity with no memory of sockets or subscribers: both must
   * find the new one by themselves, or the user shows offline (and silent) to everyone until reconnecting.
   */
  @Test
  void presenceSurvivesItsEntityRestarting() {
    String gina = rest.login("pgina"), hank = rest.login("phank");
    try (WsClient h = server.connect(hank)) {
      h.awaitType("hello");
      WsClient g = server.connect(gina);
      g.awaitType("hello");
      h.send("{\"type\":\"subscribe\",\"users\":[\"pgina\"]}");
      presenceOf(h, "pgina", true);
      server.stopPresenceEntity("pgina");
      // the new entity knows gina's socket again and tells her subscriber
      presenceOf(h, "pgina", true);
      g.close();
      JsonNode offline = presenceOf(h, "pgina", false);
      assertTrue(offline.get("lastSeen").asLong() > 0, "the new entity saw the socket close: " + offline);
    }
  }

  @Test
  void privacyNobodyHidesLastSeen() {
    String carol = rest.login("pcarol"), dave = rest.login("pdave");
    assertEquals(200, rest.call("PUT", "/api/v1/me/privacy", carol, "{\"lastSeen\":\"nobody\"}").status());
    assertEquals(400, rest.call("PUT", "/api/v1/me/privacy", carol, "{\"lastSeen\":\"friends\"}").status());
    try (WsClient d = server.connect(dave)) {
      d.awaitType("hello");
      WsClient c = server.connect(carol);
      c.awaitType("hello");
      c.close();
      d.send("{\"type\":\"subscribe\",\"users\":[\"pcarol\"]}");
      JsonNode p = presenceOf(d, "pcarol", false);
      assertFalse(p.has("lastSeen"), "hidden by privacy: " + p);
    }
  }

  @Test
  void typingReachesThePeerOnly() {
    String erin = rest.login("perin"), frank = rest.login("pfrank");
    try (WsClient e = server.connect(erin); WsClient f = server.connect(frank)) {
      e.awaitType("hello");
      f.awaitType("hello");
      e.send("{\"type\":\"typing\",\"to\":\"user:pfrank\"}");
      JsonNode typing = f.awaitType("typing");
      assertEquals("perin", typing.get("user").asText());
      assertEquals("dm:perin:pfrank", typing.get("conversation").asText());
    }
  }

  @Test
  void everyDeviceOfAUserGetsLiveUpdates() {
    String gina = rest.login("pgina"), hank = rest.login("phank");
    try (WsClient phone = server.connect(gina); WsClient laptop = server.connect(gina); WsClient h = server.connect(hank)) {
      phone.awaitType("hello");
      laptop.awaitType("hello");
      h.awaitType("hello");
      phone.sendText("d1", "user:phank", "from my phone");
      JsonNode ack = phone.awaitType("ack");
      JsonNode mirrored = laptop.awaitType("message");
      assertEquals(ack.get("msgId").asText(), mirrored.get("msgId").asText());
      assertEquals("pgina", mirrored.get("from").asText());
      assertEquals(ack.get("seq").asLong(), mirrored.get("seq").asLong());
      h.awaitType("message");
      h.sendText("d2", "user:pgina", "to both devices");
      assertEquals("to both devices", phone.awaitType("message").at("/body/text").asText());
      assertEquals("to both devices", laptop.awaitType("message").at("/body/text").asText());
    }
  }
}
