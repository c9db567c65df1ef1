package chat.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.Rest;
import chat.testing.ServerProcess;
import chat.testing.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * deploy/haproxy/parley.cfg through a real HAProxy in front of two nodes: chat goes through the
 * proxy, and when a node leaves, its clients come back through the proxy to the other node and lose
 * nothing.
 */
class HaproxyTest {
  private static final Path HAPROXY = Path.of("/usr/sbin/haproxy");

  @Test
  void clientsBehindHaproxySurviveANodeLeaving() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(HAPROXY), "HAProxy is not installed (.ci/run installs it)");
    Assumptions.assumeTrue(TestCluster.postgresAvailable(), "PostgreSQL at 127.0.0.1:5432 is required");
    try (TestCluster cluster = TestCluster.create(Map.of("pekko.cluster.split-brain-resolver.stable-after", "4s"))) {
      List<TestCluster.Node> nodes = cluster.start(2);
      cluster.awaitMembersUp(Duration.ofSeconds(60));
      int proxyPort = ServerProcess.freePort();
      Process haproxy = startHaproxy(proxyPort, nodes);
      try {
        awaitProxyHealthy(proxyPort, haproxy);
        Rest rest = new Rest(proxyPort);
        String alice = rest.login("palice");
        String bob = rest.login("pbob");

        List<String> all = new java.util.ArrayList<>();
        try (WsClient b = WsClient.connect(proxyPort, bob); WsClient a = WsClient.connect(proxyPort, alice)) {
          b.awaitType("hello");
          a.awaitType("hello");
          a.sendText("p-hello", "user:pbob", "through the proxy");
          assertEquals("through the proxy", b.awaitType("message").get("body").get("text").asText());
          all.add(a.awaitType("ack").get("msgId").asText());
        }

        List<String> acked;
        try (FlowingSender sender = new FlowingSender(alice, "user:pbob", "proxy", () -> List.of(proxyPort))) {
          sender.awaitMore(15, Duration.ofSeconds(30));
          assertTrue(nodes.get(0).process.terminate(Duration.ofSeconds(60)), "node leaves within 60 s");
          sender.awaitMore(15, Duration.ofSeconds(60));
          acked = sender.stop();
        }
        all.addAll(acked);
        Streams.assertDelivered(proxyPort, bob, "palice", all);
        Streams.assertSent(proxyPort, alice, all.size());
      } finally {
        haproxy.destroy();
        haproxy.waitFor();
      }
    }
  }

  /** The deploy config with this test's listener and nodes in place of the example ones. */
  private static Process startHaproxy(int port, List<TestCluster.Node> nodes) throws Exception {
    String config = Files.readString(Path.of("deploy/haproxy/parley.cfg"));
    String servers = nodes.stream().map(n -> "    server node" + n.index + " 127.0.0.1:" + n.httpPort).collect(Collectors.joining("\n"));
    String rendered = config.replace("bind :8080", "bind 127.0.0.1:" + port)
        .replaceAll("maxconn \\d+", "maxconn 200") // whatever the machine's file descriptor limit
        .replaceAll("(?m)^    server node\\d+ .*\\n?", "")
        .stripTrailing() + "\n" + servers + "\n";
    assertTrue(rendered.contains("balance leastconn") && rendered.contains("uri /api/v1/health"), rendered);
    Path file = Files.createTempFile("parley-haproxy", ".cfg");
    Files.writeString(file, rendered);
    return new ProcessBuilder(HAPROXY.toString(), "-db", "-f", file.toString())
        .redirectErrorStream(true).redirectOutput(file.resolveSibling(file.getFileName() + ".log").toFile()).start();
  }

  private static void awaitProxyHealthy(int port, Process haproxy) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (!haproxy.isAlive()) throw new AssertionError("haproxy exited with " + haproxy.exitValue());
      try {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/health")).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          Thread.sleep(2500); // both servers pass their first checks (rise 2, inter 1s)
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("haproxy not serving within 20 s");
  }
}
