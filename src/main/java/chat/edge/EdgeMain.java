package chat.edge;

import chat.hashing.HashingSettings;
import chat.media.SigningKeys;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;

/** {@code parley.jar edge --origin URL --port N [--cache-dir DIR] [--host H] [--config FILE] [--peers URLS --self URL]}. */
public final class EdgeMain {
  private static final String USAGE = """
      usage: parley.jar edge --origin URL --port N [--cache-dir DIR] [--host ADDR] [--config FILE]
                             [--peers URL,URL,... --self URL]
        The media signing key must be shared with the origin: env PARLEY_MEDIA_SIGNING_KEY or parley.media.signing-key.
        Purge/push need parley.edge.admin-token (or env PARLEY_EDGE_ADMIN_TOKEN).""";

  private EdgeMain() {}

  /** For running the edge without the main launcher: {@code java -cp ... chat.edge.EdgeMain --origin ...}. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs an edge until the process is stopped; returns the exit code (2 for bad usage, 1 if it cannot start). */
  public static int run(String[] args) {
    List<String> rest = Arrays.asList(args);
    if (!rest.isEmpty() && rest.get(0).equals("edge")) rest = rest.subList(1, rest.size());
    Map<String, Object> overrides = new HashMap<>();
    Optional<String> configFile = Optional.empty();
    try {
      for (int i = 0; i < rest.size(); i++) {
        String flag = rest.get(i);
        if (flag.equals("--help") || flag.equals("-h")) {
          System.out.println(USAGE);
          return 0;
        }
        if (i + 1 >= rest.size()) throw new IllegalArgumentException("missing value for " + flag);
        String value = rest.get(++i);
        switch (flag) {
          case "--origin" -> overrides.put("parley.edge.origin", value);
          case "--port" -> overrides.put("parley.edge.port", Integer.parseInt(value));
          case "--cache-dir" -> overrides.put("parley.edge.cache-dir", value);
          case "--host" -> overrides.put("parley.edge.host", value);
          case "--peers" -> overrides.put("parley.edge.peers", List.of(value.split(",")));
          case "--self" -> overrides.put("parley.edge.self-url", value);
          case "--config" -> configFile = Optional.of(value);
          default -> throw new IllegalArgumentException("unknown option " + flag);
        }
      }
    } catch (IllegalArgumentException bad) {
      System.err.println("edge: " + bad.getMessage() + "\n" + USAGE);
      return 2;
    }

    Config config = ConfigFactory.parseMap(overrides);
    if (configFile.isPresent()) config = config.withFallback(ConfigFactory.parseFile(new File(configFile.get())));
    config = config.withFallback(ConfigFactory.load()).resolve();
    EdgeSettings settings = EdgeSettings.from(config);
    if (settings.origin().isBlank()) {
      System.err.println("edge: --origin is required\n" + USAGE);
      return 2;
    }
    Optional<byte[]> key;
    try {
      key = SigningKeys.configured(settings.signingKey());
    } catch (IllegalArgumentException bad) {
      System.err.println("edge: " + bad.getMessage());
      return 2;
    }
    if (key.isEmpty()) {
      System.err.println("edge: no media signing key; set " + SigningKeys.ENV + " to the origin's key");
      return 2;
    }
    EdgePlacement placement = null;
    if (!settings.peers().isEmpty()) {
      if (!settings.peers().contains(settings.selfUrl())) {
        System.err.println("edge: --self must be one of --peers");
        return 2;
      }
      placement = new RingPlacement(HashingSettings.fromConfig(config), settings.peers());
    }

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "parley-edge", config);
    try {
      EdgeServer edge = new EdgeServer(system, settings, key.get(), placement, System::currentTimeMillis);
      ServerBinding binding = edge.bind().toCompletableFuture().get();
      System.out.println("parley edge serving on http://" + binding.localAddress().getHostString() + ":"
          + binding.localAddress().getPort() + " for origin " + settings.origin());
      Runtime.getRuntime().addShutdownHook(new Thread(system::terminate, "edge-shutdown"));
      system.getWhenTerminated().toCompletableFuture().get();
      return 0;
    } catch (Exception e) {
      System.err.println("edge: cannot start: " + e);
      system.terminate();
      return 1;
    }
  }
}
