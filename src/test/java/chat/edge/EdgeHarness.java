package chat.edge;

import chat.media.OriginHarness;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;

/** A real edge on a loopback port with a hand-driven clock. */
final class EdgeHarness implements AutoCloseable {
  static final String ADMIN_TOKEN = "edge-admin-token-for-tests";

  final Path cacheDir;
  final AtomicLong clock = new AtomicLong(System.currentTimeMillis());
  final ActorSystem<?> system;
  final EdgeServer edge;
  final String base;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final ServerBinding binding;
  private final boolean ownsCacheDir;

  static EdgeSettings settings(String origin, Path cacheDir, long memoryMaxObject, int port, List<String> peers, String self) {
    return new EdgeSettings(origin, "127.0.0.1", port, cacheDir, 8L << 20, memoryMaxObject, 64L << 20,
        Duration.ofSeconds(60), Duration.ofMinutes(10), ADMIN_TOKEN, peers, self, Duration.ofSeconds(20), 16 * 1024, 1024, 8,
        OriginHarness.SIGNING_KEY);
  }

  EdgeHarness(String origin) throws Exception {
    this(origin, 1 << 20);
  }

  EdgeHarness(String origin, long memoryMaxObject) throws Exception {
    this(settings(origin, Files.createTempDirectory("parley-edge"), memoryMaxObject, 0, List.of(), ""), null, true);
  }

  EdgeHarness(EdgeSettings settings, EdgePlacement placement, boolean ownsCacheDir) throws Exception {
    this.cacheDir = settings.cacheDir();
    this.ownsCacheDir = ownsCacheDir;
    system = OriginHarness.shared().system; // edges share the origin's actor system: only their bindings are per test
    edge = new EdgeServer(system, settings, OriginHarness.signingKey(), placement, clock::get);
    binding = edge.bind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  HttpResponse<byte[]> get(String pathAndQuery, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET();
    if (headers.length > 0) request.headers(headers);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  void advance(Duration d) {
    clock.addAndGet(d.toMillis());
  }

  private boolean closed;

  @Override
  public void close() throws Exception {
    if (closed) return;
    closed = true;
    binding.terminate(Duration.ofSeconds(2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (ownsCacheDir) OriginHarness.deleteTree(cacheDir);
  }
}
