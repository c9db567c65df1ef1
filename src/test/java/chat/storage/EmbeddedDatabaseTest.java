package chat.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.testing.TestServer;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node opens its embedded H2 database with the page cache {@code parley.db.h2-cache-size} asks for. */
class EmbeddedDatabaseTest {

  @Test
  void theDefaultPageCacheIsOneMebibyte() throws Exception {
    try (TestServer node = TestServer.start()) {
      assertEquals(1, cacheMebibytes(node));
    }
  }

  @Test
  void thePageCacheFollowsTheSetting() throws Exception {
    try (TestServer node = TestServer.start(Files.createTempDirectory("parley-test"), 0, Map.of("parley.db.h2-cache-size", "4MiB"))) {
      assertEquals(4, cacheMebibytes(node));
    }
  }

  /**
   * H2's own figure for the open database, read over a second connection in this JVM (it shares the
   * node's database). Its URL names no cache size: settings in a URL are applied on connecting.
   */
  private static int cacheMebibytes(TestServer node) throws Exception {
    try (Connection c = DriverManager.getConnection(Database.embeddedH2Url(node.dataDir), "sa", "");
         ResultSet rs = c.createStatement().executeQuery(
             "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'info.CACHE_MAX_SIZE'")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    }
  }
}
