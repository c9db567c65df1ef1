package chat.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** A small JDBC pool for Parley's own tables (the journal has its own pool in Pekko Persistence JDBC). */
public final class Database {
  private Database() {}

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
