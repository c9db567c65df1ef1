package chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Checks on users' streams through the public protocol (sync from seq 0). */
final class Streams {
  private Streams() {}

  /** The recipient's whole stream is gapless and holds exactly {@code acked} of the sender: once each, in order. */
  static void assertDelivered(int port, String recipientToken, String sender, List<String> acked) {
    try (WsClient r = WsClient.connect(port, recipientToken)) {
      long lastSeq = r.awaitType("hello").get("lastSeq").asLong();
      r.sendJson("type", "sync", "after", 0);
      List<String> got = new ArrayList<>();
      long seq = 0;
      while (seq < lastSeq) {
        JsonNode f = r.await(x -> x.has("seq"), Duration.ofSeconds(30));
        assertEquals(seq + 1, f.get("seq").asLong(), "gapless stream");
        seq = f.get("seq").asLong();
        if ("message".equals(f.path("type").asText()) && sender.equals(f.path("from").asText())) got.add(f.get("msgId").asText());
      }
      assertEquals(acked, got, "the recipient's stream holds every acked message of " + sender + " exactly once, in order");
    }
  }

  /** The sender's own stream kept every message it sent (and nothing else arrived in it). */
  static void assertSent(int port, String senderToken, int count) {
    try (WsClient s = WsClient.connect(port, senderToken)) {
      assertEquals(count, s.awaitType("hello").get("lastSeq").asLong(), "the sender's own stream kept every sent message");
    }
  }
}
