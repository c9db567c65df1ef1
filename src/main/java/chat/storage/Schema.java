package chat.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates the journal, snapshot and Parley tables when they are missing. Runs before the actor
 * system starts, with plain JDBC, so a fresh data directory needs no setup step.
 */
public final class Schema {
  private Schema() {}

  public static void ensure(String url, String user, String password) {
    String resource = url.startsWith("jdbc:postgresql:") ? "schema/parley-postgres.sql" : "schema/parley-h2.sql";
    String script;
    try (InputStream in = Schema.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing " + resource);
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
    try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
      for (String sql : script.split(";\\s*\\n")) {
        String statement = sql.lines().filter(l -> !l.strip().startsWith("--")).reduce("", (a, b) -> a + b + "\n").strip();
        if (!statement.isEmpty()) st.execute(statement);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the database schema at " + redact(url) + ": " + e.getMessage(), e);
    }
  }

  static String redact(String url) {
    return url.replaceAll("password=[^;&]*", "password=***");
  }
}
