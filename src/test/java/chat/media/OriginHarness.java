package chat.media;

import chat.auth.TokenService;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.h2.jdbcx.JdbcDataSource;

/**
 * A real origin for tests: actor system, H2 file database, MediaService routes on a loopback port. One shared
 * instance serves every test class in the JVM: starting actor systems dominates test time on a loaded machine.
 */
public final class OriginHarness implements AutoCloseable {
  private static OriginHarness shared;

  /** The JVM-wide origin (image limit 300 KiB, video limit 400 KiB), closed when the test JVM exits. */
  public static synchronized OriginHarness shared() throws Exception {
    if (shared == null) {
      shared = new OriginHarness("parley.media.max-image-bytes = 300 KiB\nparley.media.max-video-bytes = 400 KiB");
      OriginHarness instance = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          instance.close();
        } catch (Exception ignored) {
          // the JVM is exiting; the temp dir is all that may be left
        }
      }));
    }
    return shared;
  }

  public static final String SIGNING_KEY = "test-signing-key-0123456789abcdefghijklmnopqrstuv";
  private static final ObjectMapper JSON = new ObjectMapper();

  public final Path dir;
  public final ActorSystem<Void> system;
  public final TokenService tokens;
  public final MediaService media;
  public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Requests that reached the media routes, for "the origin was (not) touched" assertions. */
  public final AtomicInteger mediaRequests = new AtomicInteger();
  private final ServerBinding binding;
  public final String base;

  public OriginHarness(String extraConfig) throws Exception {
    dir = Files.createTempDirectory("parley-media-test");
    Config config = ConfigFactory.parseString(extraConfig)
        .withFallback(ConfigFactory.parseString("parley.media.signing-key = \"" + SIGNING_KEY + "\"\n"
            + "parley.media.poster.ffmpeg = \"parley-test-no-such-decoder\"\n"
            + "pekko.loglevel = WARNING\npekko.http.server.idle-timeout = 30s"))
        .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "origin", config);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    tokens = new TokenService(secret, TimeUnit.HOURS.toMillis(1));
    JdbcDataSource db = new JdbcDataSource();
    db.setURL("jdbc:h2:file:" + dir.resolve("db").toAbsolutePath());
    media = new MediaService(system, config, dir.resolve("data"), tokens, db);
    Route counted = Directives.extractRequest(r -> {
      mediaRequests.incrementAndGet();
      return media.routes();
    });
    binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(counted).toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  /** A second, independently stoppable listener for the same routes (an origin that can "go down"). */
  public ServerBinding bindAnother() throws Exception {
    Route counted = Directives.extractRequest(r -> {
      mediaRequests.incrementAndGet();
      return media.routes();
    });
    return Http.get(system).newServerAt("127.0.0.1", 0).bind(counted).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public static String urlOf(ServerBinding binding) {
    return "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  public static void stop(ServerBinding binding) throws Exception {
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    binding.terminate(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The key the origin really signs with (the env variable wins over the test setting, as in production). */
  public static byte[] signingKey() {
    return SigningKeys.configured(SIGNING_KEY).orElseThrow();
  }

  public String token(String user) {
    return tokens.issue(user, System.currentTimeMillis()).token();
  }

  public HttpResponse<String> upload(String user, String contentType, byte[] body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/api/v1/media"))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (user != null) request.header("Authorization", "Bearer " + token(user));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Uploads and returns the 201 body, failing loudly otherwise. */
  public JsonNode uploaded(String user, String contentType, byte[] body) throws IOException, InterruptedException {
    HttpResponse<String> response = upload(user, contentType, body);
    if (response.statusCode() != 201) throw new AssertionError("upload failed: " + response.statusCode() + " " + response.body());
    return JSON.readTree(response.body());
  }

  public static JsonNode json(String body) throws IOException {
    return JSON.readTree(body);
  }

  public HttpResponse<byte[]> get(String pathAndQuery, String user, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET();
    if (user != null) request.header("Authorization", "Bearer " + token(user));
    if (headers.length > 0) request.headers(headers);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Override
  public void close() throws Exception {
    if (binding != null) stop(binding);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    deleteTree(dir);
  }

  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
