package chat.edge;

import chat.media.MediaId;
import chat.media.MediaSamples;
import chat.media.OriginHarness;
import chat.media.UrlSigner;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Two measurements in one run, both against real sockets on loopback:
 * <ol>
 *   <li>origin fetches caused by 200 concurrent requests for one uncached object (target: 1), several rounds;</li>
 *   <li>edge hit path vs nginx serving the same bytes from disk: wrk requests/s and p99 for 1 KiB and 100 KiB,
 *       alternating edge/nginx rounds, medians and ratios.</li>
 * </ol>
 * Needs {@code wrk} and {@code nginx} on PATH. Run:
 * {@code java -Xmx2g -cp target/test-classes:target/classes:$(cat cp.txt) chat.edge.EdgeLoadBenchmark [seconds] [rounds] [connections]}
 */
public final class EdgeLoadBenchmark {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int connections = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    OriginHarness origin = OriginHarness.shared();
    Path work = Files.createTempDirectory("parley-edge-bench");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    ActorSystem<Void> edgeSystem = ActorSystem.create(Behaviors.empty(), "bench-edge",
        ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
    EdgeSettings settings = new EdgeSettings(origin.base, "127.0.0.1", 0, work.resolve("cache"), 256L << 20, 2L << 20,
        1L << 30, Duration.ofHours(1), Duration.ofDays(1), "bench-admin", List.of(), "", Duration.ofSeconds(30),
        64 * 1024, 1024, 16, OriginHarness.SIGNING_KEY);
    EdgeServer edge = new EdgeServer(edgeSystem, settings, OriginHarness.signingKey(),
        null, System::currentTimeMillis);
    ServerBinding binding = edge.bind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String edgeBase = "http://127.0.0.1:" + binding.localAddress().getPort();
    Process nginx = null;
    try {
      coalescing(origin, edge, edgeBase);
      nginx = startNginx(work);
      hitPath(edgeBase, work, seconds, rounds, connections);
    } finally {
      if (nginx != null) {
        nginx.destroy();
        nginx.waitFor(10, TimeUnit.SECONDS);
      }
      binding.unbind();
      edgeSystem.terminate();
      origin.close();
      OriginHarness.deleteTree(work);
    }
  }

  private static void coalescing(OriginHarness origin, EdgeServer edge, String edgeBase) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    System.out.println("== origin fetches for 200 concurrent misses of one object (target 1)");
    for (int round = 1; round <= 5; round++) {
      String url = origin.media.signedUrl(origin.uploaded("alice", "image/png",
          MediaSamples.noisyPng(180, 180, round)).get("mediaId").asText());
      int originBefore = origin.mediaRequests.get();
      long edgeBefore = edge.upstreamFetches();
      List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        all.add(client.sendAsync(HttpRequest.newBuilder(URI.create(edgeBase + url)).build(),
            HttpResponse.BodyHandlers.ofByteArray()));
      }
      int misses = 0, ok = 0;
      for (CompletableFuture<HttpResponse<byte[]>> f : all) {
        HttpResponse<byte[]> r = f.get(60, TimeUnit.SECONDS);
        if (r.statusCode() == 200) ok++;
        if ("MISS".equals(r.headers().firstValue("X-Cache").orElse(""))) misses++;
      }
      System.out.printf("round %d: 200 requests, %d ok, X-Cache MISS=%d, origin requests=%d, edge upstream fetches=%d%n",
          round, ok, misses, origin.mediaRequests.get() - originBefore, edge.upstreamFetches() - edgeBefore);
    }
  }

  private static void hitPath(String edgeBase, Path work, int seconds, int rounds, int connections) throws Exception {
    Path www = work.resolve("www");
    UrlSigner signer = new UrlSigner(OriginHarness.signingKey());
    HttpClient client = HttpClient.newHttpClient();
    Random random = new Random(1);
    int nginxPort = Integer.parseInt(Files.readString(work.resolve("nginx-port")).trim());
    int[] sizes = {1024, 100 * 1024};
    String[] edgeUrls = new String[sizes.length];
    String[] nginxUrls = new String[sizes.length];
    for (int s = 0; s < sizes.length; s++) {
      byte[] body = new byte[sizes[s]];
      random.nextBytes(body);
      String name = sizes[s] + ".bin";
      Files.write(www.resolve(name), body);
      Files.setPosixFilePermissions(www.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
      MediaId id = MediaId.parse(MediaId.newMediaId()).orElseThrow();
      HttpResponse<String> pushed = client.send(HttpRequest.newBuilder(URI.create(edgeBase + "/edge/v1/cache/" + id.pathId()))
          .header("Authorization", "Bearer bench-admin").header("Content-Type", "application/octet-stream")
          .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (pushed.statusCode() != 201) throw new IllegalStateException("push failed: " + pushed.body());
      edgeUrls[s] = edgeBase + signer.signedPath(id, System.currentTimeMillis() / 1000 + 3600);
      nginxUrls[s] = "http://127.0.0.1:" + nginxPort + "/" + name;
      verifySame(client, edgeUrls[s], nginxUrls[s], body);
    }
    for (int s = 0; s < sizes.length; s++) { // JIT warm-up of every path before any measurement, discarded
      wrk(edgeUrls[s], 10, connections);
      wrk(nginxUrls[s], 3, connections);
    }
    List<List<double[]>> edgeRuns = new ArrayList<>();
    List<List<double[]>> nginxRuns = new ArrayList<>();
    for (int s = 0; s < sizes.length; s++) {
      edgeRuns.add(new ArrayList<>());
      nginxRuns.add(new ArrayList<>());
    }
    for (int round = 0; round < rounds; round++) {
      for (int s = 0; s < sizes.length; s++) {
        edgeRuns.get(s).add(wrk(edgeUrls[s], seconds, connections));
        nginxRuns.get(s).add(wrk(nginxUrls[s], seconds, connections));
      }
    }
    for (int s = 0; s < sizes.length; s++) {
      List<double[]> e = edgeRuns.get(s), n = nginxRuns.get(s);
      double edgeRps = median(e, 0), nginxRps = median(n, 0);
      double edgeP99 = median(e, 1), nginxP99 = median(n, 1);
      System.out.printf("== hit path %d bytes, wrk -t2 -c%d -d%ds --latency, %d interleaved rounds%n", sizes[s], connections, seconds, rounds);
      System.out.printf("edge  rps per round %s p99 ms %s%n", column(e, 0), column(e, 1));
      System.out.printf("nginx rps per round %s p99 ms %s%n", column(n, 0), column(n, 1));
      System.out.printf("median: edge %.0f req/s p99 %.2f ms | nginx %.0f req/s p99 %.2f ms | edge/nginx rps %.2f, p99 %.2f%n",
          edgeRps, edgeP99, nginxRps, nginxP99, edgeRps / nginxRps, edgeP99 / nginxP99);
    }
  }

  private static void verifySame(HttpClient client, String edgeUrl, String nginxUrl, byte[] body) throws Exception {
    HttpResponse<byte[]> e = client.send(HttpRequest.newBuilder(URI.create(edgeUrl)).build(), HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> n = client.send(HttpRequest.newBuilder(URI.create(nginxUrl)).build(), HttpResponse.BodyHandlers.ofByteArray());
    if (!java.util.Arrays.equals(e.body(), body) || !java.util.Arrays.equals(n.body(), body)
        || !"HIT".equals(e.headers().firstValue("X-Cache").orElse(""))) {
      throw new IllegalStateException("edge and nginx must serve the same bytes, edge from cache");
    }
  }

  private static Process startNginx(Path work) throws IOException, InterruptedException {
    Path www = Files.createDirectories(work.resolve("www"));
    Files.setPosixFilePermissions(www, PosixFilePermissions.fromString("rwxr-xr-x"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(work.resolve("nginx-port"), Integer.toString(port));
    Path temp = Files.createDirectories(work.resolve("nginx-temp"));
    String conf = """
        daemon off;
        worker_processes 2;
        pid %1$s/nginx.pid;
        error_log %1$s/nginx-error.log warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          sendfile on;
          tcp_nopush on;
          keepalive_requests 10000000;
          types { application/octet-stream bin; }
          client_body_temp_path %2$s/body;
          proxy_temp_path %2$s/proxy;
          fastcgi_temp_path %2$s/fastcgi;
          uwsgi_temp_path %2$s/uwsgi;
          scgi_temp_path %2$s/scgi;
          server {
            listen 127.0.0.1:%3$d;
            root %4$s;
            location / { add_header Cache-Control "public, max-age=31536000, immutable"; }
          }
        }
        """.formatted(work, temp, port, www);
    Path confFile = work.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    Process nginx = new ProcessBuilder("nginx", "-c", confFile.toString(), "-p", work.toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("nginx-out.log").toFile()).start();
    for (int i = 0; i < 50; i++) {
      try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
        return nginx;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    nginx.destroy();
    throw new IllegalStateException("nginx did not start: " + Files.readString(work.resolve("nginx-out.log")));
  }

  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)");

  /** Runs wrk once; returns {requests/s, p99 ms}. */
  private static double[] wrk(String url, int seconds, int connections) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("wrk", "-t2", "-c" + connections, "-d" + seconds + "s", "--latency", url)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    Matcher rps = RPS.matcher(out);
    Matcher p99 = P99.matcher(out);
    if (!rps.find() || !p99.find() || out.contains("Non-2xx")) throw new IllegalStateException("wrk failed:\n" + out);
    double latency = Double.parseDouble(p99.group(1));
    latency = switch (p99.group(2)) {
      case "us" -> latency / 1000;
      case "s" -> latency * 1000;
      default -> latency;
    };
    return new double[] {Double.parseDouble(rps.group(1)), latency};
  }

  private static double median(List<double[]> runs, int column) {
    List<Double> values = new ArrayList<>();
    for (double[] r : runs) values.add(r[column]);
    Collections.sort(values);
    int n = values.size();
    return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
  }

  private static String column(List<double[]> runs, int column) {
    List<String> values = new ArrayList<>();
    for (double[] r : runs) values.add(column == 0 ? String.format("%.0f", r[column]) : String.format("%.2f", r[column]));
    return values.toString();
  }
}
