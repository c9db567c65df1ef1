package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.storage.Database;
import chat.testing.TestServer;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The node compacts its embedded database file while it serves chat: the pages of acknowledged
 * messages move to new chunks, and every message is still there, in order, before and after a restart.
 */
class CompactionTest {
  private static final int MESSAGES = 150;

  @Test
  void acknowledgedMessagesSurviveCompactionUnderARunningNode() throws Exception {
    Path dir = Files.createTempDirectory("parley-compaction");
    Map<String, Object> settings = Map.of("parley.db.h2-compaction.interval", "100ms", "parley.db.h2-compaction.target-fill-rate", 80);
    List<String> msgIds = new ArrayList<>();
    String alice, bob;
    try (TestServer node = TestServer.start(dir, 0, settings);
         Connection db = DriverManager.getConnection(Database.embeddedH2Url(dir), "sa", "");
         Statement sql = db.createStatement()) {
      // chunks become rewritable at once: the test need not wait out H2's 45 s retention time
      sql.execute("SET RETENTION_TIME 0");
      alice = node.rest().login("calice");
      bob = node.rest().login("cbob");
      try (WsClient a = node.connect(alice); WsClient b = node.connect(bob)) {
        a.awaitType("hello");
        b.awaitType("hello");
        for (int i = 0; i < MESSAGES; i++) { // one at a time: a commit each, the many small chunks compaction is for
          a.sendText("c" + i, "user:cbob", "message " + i);
          msgIds.add(a.awaitType("ack").get("msgId").asText());
        }
        int live = liveChunkPercent(sql);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (live < 80 && System.nanoTime() < deadline) {
          Thread.sleep(100);
          live = liveChunkPercent(sql);
        }
        assertTrue(live >= 80, "compaction should lift the live share of the chunks' space to 80 %, it is " + live + " %");
        assertHistory(b, msgIds);
      }
    }
    try (TestServer again = TestServer.start(dir, 0, settings); WsClient b = again.connect(bob)) {
      assertEquals(MESSAGES, b.awaitType("hello").get("lastSeq").asLong());
      assertHistory(b, msgIds);
    }
  }

  private static void assertHistory(WsClient b, List<String> msgIds) {
    b.sendJson("type", "sync", "after", 0);
    List<JsonNode> synced = b.awaitTypes("message", MESSAGES, Duration.ofSeconds(30));
    for (int i = 0; i < MESSAGES; i++) {
      assertEquals(i + 1, synced.get(i).get("seq").asLong());
      assertEquals(msgIds.get(i), synced.get(i).get("msgId").asText());
      assertEquals("message " + i, synced.get(i).at("/body/text").asText());
    }
  }

  private static int liveChunkPercent(Statement sql) throws Exception {
    try (ResultSet rs = sql.executeQuery(
        "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'info.CHUNKS_FILL_RATE'")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    }
  }
}
