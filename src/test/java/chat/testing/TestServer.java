package chat.testing;

import chat.server.ParleyServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** A real Parley node in this JVM on a fresh (or given) data dir and a free port. */
public final class TestServer implements AutoCloseable {
  private final ParleyServer server;
  public final Path dataDir;

  private TestServer(ParleyServer server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
  }

  public static TestServer start() {
    try {
      return start(Files.createTempDirectory("parley-test"), 0, Map.of());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static TestServer start(Path dataDir, int port, Map<String, Object> settings) {
    Map<String, Object> all = new HashMap<>(baseSettings());
    all.put("parley.data-dir", dataDir.toString());
    all.put("parley.http.port", port);
    all.put("parley.http.host", "127.0.0.1");
    all.putAll(settings);
    Config config = ConfigFactory.parseMap(all);
    return new TestServer(ParleyServer.start(config), dataDir);
  }

  /** Settings every test node shares: cheap password hashing keeps suites fast. */
  public static Map<String, Object> baseSettings() {
    return Map.of("parley.auth.password-iterations", 1000);
  }

  public int port() {
    return server.port();
  }

  public Rest rest() {
    return new Rest(port());
  }

  public WsClient connect(String token) {
    return WsClient.connect(port(), token);
  }

  public ParleyServer server() {
    return server;
  }

  @Override
  public void close() {
    server.stop();
  }
}
