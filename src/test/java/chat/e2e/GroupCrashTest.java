package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.testing.Rest;
import chat.testing.ServerProcess;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL in the middle of a 200-member fan-out: after the restart every member has every acked
 * message exactly once, in the group's order, without anyone touching the group again.
 */
class GroupCrashTest {

  /** Runs {@code check} for every item on 4 threads; rethrows the first failure. */
  static void inParallel(List<String> items, java.util.function.Consumer<String> check) throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
      for (String item : items) futures.add(pool.submit(() -> check.accept(item)));
      for (var f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof AssertionError a) throw a;
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void fanOutResumesAfterACrashWithoutLossOrDuplicates() throws Exception {
    Path dir = Files.createTempDirectory("parley-group-crash");
    List<String> members = new ArrayList<>();
    List<String> acked = new ArrayList<>();
    String owner;
    int port;
    try (ServerProcess first = ServerProcess.start(dir, 0)) {
      port = first.port();
      Rest rest = new Rest(port);
      owner = rest.login("crashowner");
      for (int i = 0; i < 199; i++) members.add("crm" + i);
      inParallel(members, m -> rest.call("POST", "/api/v1/accounts", null, "{\"username\":\"" + m + "\",\"password\":\"password-" + m + "\"}"));
      Rest.Response created = rest.call("POST", "/api/v1/groups", owner,
          "{\"name\":\"crash\",\"members\":[" + String.join(",", members.stream().map(WsClient::q).toList()) + "]}");
      assertEquals(201, created.status(), created.raw());
      String gid = created.body().get("groupId").asText();
      WsClient o = WsClient.connect(port, owner);
      o.awaitType("hello");
      for (int i = 0; i < 10; i++) {
        o.send("{\"type\":\"send\",\"id\":\"c" + i + "\",\"to\":\"group:" + gid + "\",\"body\":{\"text\":\"n" + i + "\"}}");
      }
      for (JsonNode ack : o.awaitTypes("ack", 10, Duration.ofSeconds(30))) acked.add(ack.get("msgId").asText());
      first.kill(); // 10 x 200 deliveries were under way
    }
    try (ServerProcess second = ServerProcess.start(dir, 0)) { // a fresh port: the old one may be taken meanwhile
      Rest rest = new Rest(second.port());
      List<String> everyone = new ArrayList<>(members);
      everyone.add("crashowner");
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      inParallel(everyone, member -> {
        String token = rest.login(member);
        List<String> got;
        while (true) {
          Rest.Response r = rest.call("GET", "/api/v1/updates?after=0&limit=1000", token, null);
          got = new ArrayList<>();
          Set<String> unique = new HashSet<>();
          for (JsonNode u : r.body().get("updates")) {
            if (u.get("type").asText().equals("message")) {
              got.add(u.get("msgId").asText());
              unique.add(u.get("msgId").asText());
            }
          }
          assertEquals(got.size(), unique.size(), "no duplicates for " + member);
          if (got.size() >= acked.size() || System.nanoTime() > deadline) break;
          sleep(200);
        }
        assertEquals(acked, got, "member " + member + " has every acked message once, in order");
      });
    }
  }
}
