package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.testing.Rest;
import chat.testing.ServerProcess;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SIGKILL the server the instant acks arrive: every acked message is there after restart, in order. */
class CrashTest {

  @Test
  void ackedMessagesSurviveKillDashNine() throws Exception {
    Path dir = Files.createTempDirectory("parley-crash");
    List<String> acked = new ArrayList<>();
    String alice, bob;
    int port;
    try (ServerProcess first = ServerProcess.start(dir, 0)) {
      port = first.port();
      Rest rest = new Rest(port);
      alice = rest.login("calice");
      bob = rest.login("cbob");
      WsClient a = WsClient.connect(port, alice);
      a.awaitType("hello");
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 20; i++) a.sendText("r" + round + "-" + i, "user:cbob", "round " + round + " #" + i);
        for (JsonNode ack : a.awaitTypes("ack", 20, Duration.ofSeconds(30))) acked.add(ack.get("msgId").asText());
      }
      first.kill(); // SIGKILL, no shutdown hooks, right after the last ack
    }
    try (ServerProcess second = ServerProcess.start(dir, 0)) { // a fresh port: the old one may be taken meanwhile
      try (WsClient b = WsClient.connect(second.port(), bob)) {
        assertEquals(60, b.awaitType("hello").get("lastSeq").asLong());
        b.sendJson("type", "sync", "after", 0);
        List<JsonNode> got = b.awaitTypes("message", 60, Duration.ofSeconds(30));
        for (int i = 0; i < 60; i++) {
          assertEquals(acked.get(i), got.get(i).get("msgId").asText(), "message " + i);
          assertEquals(i + 1, got.get(i).get("seq").asLong());
        }
      }
      try (WsClient a = WsClient.connect(second.port(), alice)) {
        assertEquals(60, a.awaitType("hello").get("lastSeq").asLong(), "the sender's own stream kept them too");
      }
    }
  }
}
