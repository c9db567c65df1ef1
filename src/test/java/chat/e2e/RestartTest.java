package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.Rest;
import chat.testing.TestServer;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A graceful restart on the same data dir loses nothing: streams, seqs, dedup, receipts, last seen. */
class RestartTest {

  @Test
  void everythingSurvivesARestart() throws Exception {
    Path dir = Files.createTempDirectory("parley-restart");
    List<String> msgIds = new ArrayList<>();
    String alice, bob;
    long lastSeen;
    // small snapshot interval so recovery goes through a snapshot plus the events after it
    Map<String, Object> settings = Map.of("parley.chat.snapshot-every", 7);
    try (TestServer first = TestServer.start(dir, 0, settings)) {
      Rest rest = first.rest();
      alice = rest.login("ralice");
      bob = rest.login("rbob");
      try (WsClient a = first.connect(alice); WsClient b = first.connect(bob)) {
        a.awaitType("hello");
        b.awaitType("hello");
        for (int i = 0; i < 30; i++) a.sendText("s" + i, "user:rbob", "before " + i);
        for (JsonNode ack : a.awaitTypes("ack", 30, Duration.ofSeconds(30))) msgIds.add(ack.get("msgId").asText());
        b.sendJson("type", "sync", "after", 0);
        b.awaitTypes("message", 30, Duration.ofSeconds(30));
        b.sendJson("type", "received", "upTo", 10);
        a.awaitTypes("receipt", 10, Duration.ofSeconds(15));
      }
      lastSeen = System.currentTimeMillis();
    }

    try (TestServer second = TestServer.start(dir, 0, settings)) {
      Rest rest = second.rest();
      // tokens are signed with the secret kept in the data dir: still valid after the restart
      try (WsClient a = second.connect(alice); WsClient b = second.connect(bob)) {
        assertEquals(40, a.awaitType("hello").get("lastSeq").asLong(), "30 sent + 10 receipts");
        assertEquals(30, b.awaitType("hello").get("lastSeq").asLong());

        // the dedup window survived: resending an old id answers with the original message
        a.sendText("s3", "user:rbob", "before 3 (resent)");
        assertEquals(msgIds.get(3), a.awaitType("ack").get("msgId").asText());

        // receipts already given are not given twice; new ones continue
        b.sendJson("type", "received", "upTo", 12);
        List<JsonNode> receipts = a.awaitTypes("receipt", 2, Duration.ofSeconds(15));
        assertEquals(msgIds.get(10), receipts.get(0).get("msgId").asText());
        assertEquals(41, receipts.get(0).get("seq").asLong());
        assertEquals(msgIds.get(11), receipts.get(1).get("msgId").asText());

        // who received a message is answered from the restored window of recent sends, to its sender only
        Rest.Response report = rest.call("GET", "/api/v1/messages/" + msgIds.get(11) + "/receipts", alice, null);
        assertEquals(200, report.status());
        assertEquals("dm:ralice:rbob", report.body().get("conversation").asText());
        assertEquals("rbob", report.body().at("/delivered/0").asText());
        assertEquals(0, report.body().get("read").size());
        report = rest.call("GET", "/api/v1/messages/" + msgIds.get(12) + "/receipts", alice, null);
        assertEquals(0, report.body().get("delivered").size(), "not confirmed yet");
        assertEquals(404, rest.call("GET", "/api/v1/messages/" + msgIds.get(11) + "/receipts", bob, null).status());

        a.sendText("after", "user:rbob", "after restart");
        assertEquals(43, a.awaitType("ack").get("seq").asLong());
        JsonNode live = b.awaitType("message");
        assertEquals(31, live.get("seq").asLong(), "live, without sync");
        b.sendJson("type", "sync", "after", 0);
        List<JsonNode> all = b.awaitTypes("message", 31, Duration.ofSeconds(30));
        for (int i = 0; i < 30; i++) {
          assertEquals(i + 1, all.get(i).get("seq").asLong());
          assertEquals(msgIds.get(i), all.get(i).get("msgId").asText());
        }
        assertEquals("after restart", all.get(30).at("/body/text").asText());
        assertEquals(31, all.get(30).get("seq").asLong());

        b.send("{\"type\":\"subscribe\",\"users\":[\"ralice\"]}");
        // alice is online again; her persisted last seen was at least the first run's disconnect
        JsonNode p = b.await(f -> f.path("type").asText().equals("presence"), Duration.ofSeconds(10));
        assertTrue(p.get("online").asBoolean());
        assertTrue(p.get("lastSeen").asLong() >= lastSeen - 60_000);
      }
      assertEquals(200, rest.call("GET", "/api/v1/health", null, null).status());
    }
  }
}
