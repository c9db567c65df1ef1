package chat.cluster;

import chat.testing.Rest;
import chat.testing.ServerProcess;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Parley nodes as separate JVMs (so a test can SIGKILL one) on conf/cluster.conf and a PostgreSQL
 * database of their own, created here and dropped on close.
 */
final class TestCluster implements AutoCloseable {
  static final String ADMIN_TOKEN = "test-admin-token";
  private static final String TOKEN_SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NQ==";
  private static final String PG_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
  private static final ObjectMapper JSON = new ObjectMapper();

  final class Node {
    final int index;
    final int httpPort;
    final int clusterPort;
    final Path dataDir;
    volatile ServerProcess process;

    Node(int index, int httpPort, int clusterPort, Path dataDir) {
      this.index = index;
      this.httpPort = httpPort;
      this.clusterPort = clusterPort;
      this.dataDir = dataDir;
    }

    String address() {
      return "pekko://parley@127.0.0.1:" + clusterPort;
    }

    boolean alive() {
      return process != null && process.isAlive();
    }

    Rest rest() {
      return new Rest(httpPort);
    }

    @Override
    public String toString() {
      return "node" + index + "(" + httpPort + "/" + clusterPort + ")";
    }
  }

  final String database;
  private final List<Node> nodes = new CopyOnWriteArrayList<>();
  private final Map<String, String> extraSettings;

  private TestCluster(String database, Map<String, String> extraSettings) {
    this.database = database;
    this.extraSettings = extraSettings;
  }

  static boolean postgresAvailable() {
    try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, "postgres", "")) {
      return c.isValid(2);
    } catch (Exception e) {
      return false;
    }
  }

  /** A fresh, empty database; nodes are started with {@link #start(int)}. */
  static TestCluster create(Map<String, String> extraSettings) throws Exception {
    String db = "parley_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    }
    return new TestCluster(db, extraSettings);
  }

  String dbUrl() {
    return "jdbc:postgresql://127.0.0.1:5432/" + database;
  }

  /** Starts n new nodes: the first alone (it forms the cluster if none is up), then the others together. */
  List<Node> start(int n) throws Exception {
    List<Node> started = new ArrayList<>();
    boolean anyAlive = nodes.stream().anyMatch(Node::alive);
    int first = 0;
    if (!anyAlive) {
      started.add(add());
      first = 1;
    }
    List<Node> rest = new ArrayList<>();
    for (int i = first; i < n; i++) rest.add(newNode());
    List<Thread> threads = new ArrayList<>();
    List<Exception> failures = new CopyOnWriteArrayList<>();
    List<String> seeds = liveSeeds();
    for (Node node : rest) {
      Thread t = new Thread(() -> {
        try {
          launch(node, seeds);
        } catch (Exception e) {
          failures.add(e);
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    if (!failures.isEmpty()) throw failures.get(0);
    started.addAll(rest);
    return started;
  }

  /** One more node, joining the live ones (or forming the cluster when none is up). */
  Node add() throws Exception {
    Node node = newNode();
    List<String> seeds = liveSeeds();
    launch(node, seeds.isEmpty() ? List.of(node.address()) : seeds);
    return node;
  }

  /** Restarts a stopped node on its ports and data dir. */
  void restart(Node node) throws Exception {
    List<String> seeds = liveSeeds();
    launch(node, seeds.isEmpty() ? List.of(node.address()) : seeds);
  }

  private Node newNode() throws Exception {
    Node node = new Node(nodes.size(), ServerProcess.freePort(), ServerProcess.freePort(), Files.createTempDirectory("parley-cluster"));
    nodes.add(node);
    return node;
  }

  private List<String> liveSeeds() {
    return nodes.stream().filter(Node::alive).map(Node::address).toList();
  }

  private void launch(Node node, List<String> seeds) throws Exception {
    Map<String, String> settings = new HashMap<>();
    settings.put("parley.db.url", dbUrl());
    settings.put("parley.db.pool-size", "4");
    settings.put("parley.auth.token-secret", TOKEN_SECRET);
    settings.put("parley.admin.token", ADMIN_TOKEN);
    settings.put("parley.http.host", "127.0.0.1");
    settings.put("pekko.remote.artery.canonical.port", Integer.toString(node.clusterPort));
    for (int i = 0; i < seeds.size(); i++) settings.put("pekko.cluster.seed-nodes." + i, seeds.get(i));
    settings.putAll(extraSettings);
    // Several nodes start on a couple of shared cores: the C1 compiler alone and one GC thread start faster.
    node.process = ServerProcess.start(node.dataDir, node.httpPort, List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"),
        settings, List.of("--config", "conf/cluster.conf"));
  }

  List<Node> nodes() {
    return List.copyOf(nodes);
  }

  List<Node> live() {
    return nodes.stream().filter(Node::alive).toList();
  }

  List<Integer> livePorts() {
    return live().stream().map(n -> n.httpPort).toList();
  }

  Node nodeAt(String address) {
    return nodes.stream().filter(n -> n.address().equals(address)).findFirst().orElseThrow();
  }

  /** GET an admin resource from a node: status and body. */
  static Rest.Response admin(Node node, String resource, String token) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + "/api/v1/admin/" + resource))
        .timeout(Duration.ofSeconds(15));
    if (token != null) req.header("Authorization", "Bearer " + token);
    HttpResponse<String> r = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = r.body().isEmpty() ? null : JSON.readTree(r.body());
    return new Rest.Response(r.statusCode(), body, r.body());
  }

  static JsonNode admin(Node node, String resource) throws Exception {
    Rest.Response r = admin(node, resource, ADMIN_TOKEN);
    if (r.status() != 200) throw new AssertionError("admin " + resource + " answered " + r.status() + ": " + r.raw());
    return r.body();
  }

  static int health(Node node) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + "/api/v1/health"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Waits until a live node reports exactly the live nodes as members, all Up. */
  void awaitMembersUp(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      List<Node> live = live();
      try {
        JsonNode m = admin(live.get(0), "members");
        last = m.toString();
        List<String> up = new ArrayList<>();
        for (JsonNode member : m.get("members")) {
          if (member.get("status").asText().equals("Up") && member.get("reachable").asBoolean()) up.add(member.get("address").asText());
        }
        if (m.get("members").size() == live.size() && up.size() == live.size()
            && live.stream().allMatch(n -> up.contains(n.address()))) return;
      } catch (Exception notYet) {
        last = notYet.toString();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("members not all Up within " + timeout + ": " + last);
  }

  @Override
  public void close() throws Exception {
    for (Node n : nodes) {
      if (n.alive()) n.process.kill();
    }
    try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }
}
