package chat.storage;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.Random;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** The embedded H2 file is compacted while it is in use, as H2's own writer would with a write delay. */
class H2CompactionTest {

  @Test
  void sparseChunksAreRewrittenWhileTheDatabaseIsInUse() throws Exception {
    Path dir = Files.createTempDirectory("parley-h2");
    JdbcDataSource pool = new JdbcDataSource();
    pool.setURL(Database.embeddedH2Url(dir));
    pool.setUser("sa");
    try (Connection open = pool.getConnection(); Statement sql = open.createStatement()) {
      // chunks may be rewritten as soon as they are written: the test need not wait out H2's 45 s
      sql.execute("SET RETENTION_TIME 0");
      sql.execute("CREATE TABLE item (id INT PRIMARY KEY, payload VARCHAR(400))");
      fragment(open);

      try (H2Compaction compaction = H2Compaction.startIfEmbedded(pool.getURL(), pool, Duration.ofMillis(50), 80, 1 << 20)) {
        int before = compaction.liveChunkPercent();
        assertTrue(before < 50, "the workload should leave most chunk space dead, live: " + before + " %");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int live = before;
        while (live < 80 && System.nanoTime() < deadline) {
          // the application keeps committing meanwhile, as a node does
          sql.executeUpdate("UPDATE item SET payload = payload WHERE id = 0");
          Thread.sleep(20);
          live = compaction.liveChunkPercent();
        }
        assertTrue(live >= 80, "live share of the chunks' space went from " + before + " % to only " + live + " %");
      }
      try (var rows = sql.executeQuery("SELECT COUNT(*), SUM(LENGTH(payload)) FROM item")) {
        rows.next();
        assertTrue(rows.getInt(1) == 2_000 && rows.getLong(2) == 2_000L * 300, "every row intact after compaction");
      }
    }
  }

  @Test
  void onlyAnEmbeddedH2FileIsCompacted() {
    assertNull(H2Compaction.startIfEmbedded("jdbc:postgresql://127.0.0.1:5432/parley", null, Duration.ofSeconds(1), 50, 1 << 20));
    assertNull(H2Compaction.startIfEmbedded("jdbc:h2:file:/tmp/x", null, Duration.ZERO, 50, 1 << 20));
  }

  /** Many small commits, each rewriting a page or two: old chunks keep a few live pages each. */
  private static void fragment(Connection c) throws Exception {
    String payload = "x".repeat(300);
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO item VALUES (?, ?)")) {
      for (int id = 0; id < 2_000; id++) {
        insert.setInt(1, id);
        insert.setString(2, payload);
        insert.executeUpdate(); // auto-commit: a chunk per row
      }
    }
    Random random = new Random(42);
    try (PreparedStatement update = c.prepareStatement("UPDATE item SET payload = ? WHERE id = ?")) {
      for (int i = 0; i < 3_000; i++) {
        update.setString(1, payload);
        update.setInt(2, random.nextInt(2_000));
        update.executeUpdate();
      }
    }
  }
}
