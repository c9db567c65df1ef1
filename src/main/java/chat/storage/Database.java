package chat.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;

/** A small JDBC pool for Parley's own tables (the journal has its own pool in Pekko Persistence JDBC). */
public final class Database {
  private Database() {}

  /**
   * The embedded H2 database in a data dir, opened with {@code WRITE_DELAY=0} so that every commit
   * reaches the file before the journal confirms it (docs/durability.md).
   */
  public static String embeddedH2Url(Path dataDir) {
    return "jdbc:h2:file:" + dataDir.resolve("parley") + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
  }

  /**
   * The same with H2's page cache capped at {@code cacheKib} (its {@code CACHE_SIZE}): the node's
   * URL, from {@code parley.db.h2-cache-size}.
   */
  public static String embeddedH2Url(Path dataDir, long cacheKib) {
    return embeddedH2Url(dataDir) + ";CACHE_SIZE=" + cacheKib;
  }

  public static HikariDataSource pool(String url, String user, String password, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setPoolName("parley-tables");
    return new HikariDataSource(config);
  }
}
