package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.Rest;
import chat.testing.TestServer;
import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** 1:1 chat through the public protocol: real server, real sockets, real H2. */
class ChatEndToEndTest {
  static TestServer server;
  static Rest rest;
  static final Duration WAIT = Duration.ofSeconds(15);

  @BeforeAll
  static void start() {
    // 1,000 messages as fast as a socket takes them is far above the per-user flood limit (tested in
    // BadInputTest); here the limit is raised so the test is about order, not about rate limiting
    // unread and unconfirmed messages kept in memory are few, so receipts reach back into the journal
    server = TestServer.start(tempDir(), 0, java.util.Map.of("parley.limits.frames-per-second", 100_000, "parley.limits.frames-burst", 100_000,
        "parley.chat.unread-in-memory", 3, "parley.chat.unconfirmed-in-memory", 3));
    rest = server.rest();
  }

  static java.nio.file.Path tempDir() {
    try {
      return java.nio.file.Files.createTempDirectory("parley-chat");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** An operator reads the journal's work off GET /metrics: commits, rows, and what a write waited. */
  @Test
  void metricsShowTheJournalAtWork() {
    long commitsBefore = metric("parley_journal_commits_total");
    long writesBefore = metric("parley_journal_writes_total");
    String ann = rest.login("metann"), ben = rest.login("metben");
    try (WsClient a = server.connect(ann); WsClient b = server.connect(ben)) {
      a.awaitType("hello");
      b.awaitType("hello");
      a.sendText("m1", "user:metben", "counted");
      a.awaitType("ack");
      b.awaitType("message");
    }
    long commits = metric("parley_journal_commits_total") - commitsBefore;
    long writes = metric("parley_journal_writes_total") - writesBefore;
    assertTrue(commits >= 1, "the sent copy and the received copy were committed");
    assertTrue(writes >= 2, "one write for each copy, got " + writes);
    assertTrue(metric("parley_journal_rows_total") >= metric("parley_journal_commits_total"), "a commit holds rows");
    assertTrue(metric("parley_journal_write_microseconds_total") >= metric("parley_journal_commit_microseconds_total"),
        "a write waits at least as long as the commits it was part of, summed per write");
  }

  private static long metric(String name) {
    Rest.Response r = rest.call("GET", "/metrics", null, null);
    assertEquals(200, r.status());
    for (String line : r.raw().split("\n")) {
      if (line.startsWith(name + " ")) return Long.parseLong(line.substring(name.length() + 1).trim());
    }
    throw new AssertionError(name + " missing from /metrics:\n" + r.raw());
  }

  @Test
  void onlineChatWithAckDeliveryAndReceipts() {
    String alice = rest.login("alice1"), bob = rest.login("bob1");
    try (WsClient a = server.connect(alice); WsClient b = server.connect(bob)) {
      JsonNode helloA = a.awaitType("hello");
      assertEquals("alice1", helloA.get("userId").asText());
      assertEquals(0, helloA.get("lastSeq").asLong());
      b.awaitType("hello");

      a.sendText("c1", "user:bob1", "hi bob");
      JsonNode ack = a.awaitType("ack");
      assertEquals("c1", ack.get("id").asText());
      assertEquals("dm:alice1:bob1", ack.get("conversation").asText());
      assertEquals(1, ack.get("seq").asLong());

      JsonNode msg = b.awaitType("message");
      assertEquals(ack.get("msgId").asText(), msg.get("msgId").asText());
      assertEquals("alice1", msg.get("from").asText());
      assertEquals("hi bob", msg.at("/body/text").asText());
      assertEquals(1, msg.get("seq").asLong());
      assertEquals(ack.get("ts").asLong(), msg.get("ts").asLong());

      b.sendJson("type", "received", "upTo", 1);
      JsonNode delivered = a.awaitType("receipt");
      assertEquals("delivered", delivered.get("status").asText());
      assertEquals("bob1", delivered.get("by").asText());
      assertEquals(ack.get("msgId").asText(), delivered.get("msgId").asText());
      assertEquals(2, delivered.get("seq").asLong());

      b.sendJson("type", "read", "conversation", "dm:alice1:bob1", "upTo", 1);
      JsonNode read = a.awaitType("receipt");
      assertEquals("read", read.get("status").asText());
      assertEquals(3, read.get("seq").asLong());

      // Repeating received/read produces no second receipt.
      b.sendJson("type", "received", "upTo", 1);
      b.sendJson("type", "read", "conversation", "dm:alice1:bob1", "upTo", 1);
      a.sendJson("type", "ping");
      a.awaitType("pong");
      assertTrue(a.drain(Duration.ofMillis(500)).stream().noneMatch(f -> f.path("type").asText().equals("receipt")));
    }
  }

  @Test
  void offlineRecipientGetsEverythingInOrderOnSyncAndResendIsIdempotent() {
    String alice = rest.login("alice2"), bob = rest.login("bob2");
    List<String> msgIds = new java.util.ArrayList<>();
    try (WsClient a = server.connect(alice)) {
      a.awaitType("hello");
      for (int i = 0; i < 50; i++) a.sendText("k" + i, "user:bob2", "m" + i);
      for (int i = 0; i < 50; i++) msgIds.add(a.awaitType("ack").get("msgId").asText());
      a.sendText("k7", "user:bob2", "m7 again");
      JsonNode again = a.awaitType("ack");
      assertEquals("k7", again.get("id").asText());
      assertEquals(msgIds.get(7), again.get("msgId").asText());
    }
    try (WsClient b = server.connect(bob)) {
      assertEquals(50, b.awaitType("hello").get("lastSeq").asLong());
      b.sendJson("type", "sync", "after", 0);
      List<JsonNode> messages = b.awaitTypes("message", 50, WAIT);
      for (int i = 0; i < 50; i++) {
        assertEquals(i + 1, messages.get(i).get("seq").asLong());
        assertEquals("m" + i, messages.get(i).at("/body/text").asText());
        assertEquals(msgIds.get(i), messages.get(i).get("msgId").asText());
      }
      assertTrue(b.drain(Duration.ofMillis(300)).stream().noneMatch(f -> f.path("type").asText().equals("message")));
    }
  }

  @Test
  void thousandMessagesArriveInOrderWithoutGapsOrDuplicates() {
    String alice = rest.login("alice3"), bob = rest.login("bob3");
    try (WsClient a = server.connect(alice); WsClient b = server.connect(bob)) {
      a.awaitType("hello");
      b.awaitType("hello");
      b.sendJson("type", "sync", "after", 0);
      for (int i = 0; i < 1000; i++) a.sendText("n" + i, "user:bob3", Integer.toString(i));
      // generous limits: the order is what is asserted, not the speed of a shared, loaded machine
      List<JsonNode> got = b.awaitTypes("message", 1000, Duration.ofSeconds(120));
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < 1000; i++) {
        assertEquals(Integer.toString(i), got.get(i).at("/body/text").asText());
        assertEquals(i + 1, got.get(i).get("seq").asLong());
        assertTrue(ids.add(got.get(i).get("msgId").asText()));
      }
      List<JsonNode> acks = new java.util.ArrayList<>();
      List<JsonNode> others = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (acks.size() < 1000 && System.nanoTime() < deadline) {
        for (JsonNode f : a.drain(Duration.ofMillis(200))) (f.path("type").asText().equals("ack") ? acks : others).add(f);
      }
      assertEquals(1000, acks.size(), "acks; other frames: " + others.stream().limit(5).toList());
      for (int i = 0; i < 1000; i++) assertEquals("n" + i, acks.get(i).get("id").asText(), "acks come in send order");
    }
  }

  @Test
  void syncAndRestUpdatesStartAtAnySeqOfAStreamWrittenInBatches() {
    String alice = rest.login("alice5"), bob = rest.login("bob5");
    try (WsClient a = server.connect(alice)) {
      a.awaitType("hello");
      for (int i = 0; i < 40; i++) a.sendText("s" + i, "user:bob5", "m" + i); // pipelined: written a batch per write
      a.awaitTypes("ack", 40, WAIT);
    }
    for (int after = 0; after <= 41; after++) {
      JsonNode page = rest.call("GET", "/api/v1/updates?after=" + after + "&limit=7", bob, null).body();
      int expected = Math.max(0, Math.min(40, after + 7) - after);
      assertEquals(expected, page.get("updates").size(), "after " + after);
      for (int k = 0; k < expected; k++) {
        JsonNode update = page.get("updates").get(k);
        assertEquals(after + k + 1, update.get("seq").asLong(), "after " + after);
        assertEquals("m" + (after + k), update.at("/body/text").asText(), "after " + after);
      }
    }
    for (int after : new int[] {17, 33, 39}) {
      try (WsClient b = server.connect(bob)) {
        b.awaitType("hello");
        b.sendJson("type", "sync", "after", after);
        List<JsonNode> messages = b.awaitTypes("message", 40 - after, WAIT);
        for (int k = 0; k < messages.size(); k++) assertEquals(after + k + 1, messages.get(k).get("seq").asLong());
        assertTrue(b.drain(Duration.ofMillis(300)).stream().noneMatch(f -> f.path("type").asText().equals("message")));
      }
    }
  }

  @Test
  void receiptsReachBackPastWhatTheServerKeepsInMemory() {
    String alice = rest.login("alice6"), bob = rest.login("bob6");
    List<String> msgIds = new java.util.ArrayList<>();
    try (WsClient a = server.connect(alice)) {
      a.awaitType("hello");
      for (int i = 0; i < 8; i++) {
        a.sendText("q" + i, "user:bob6", "m" + i);
        msgIds.add(a.awaitType("ack").get("msgId").asText());
      }
      try (WsClient b = server.connect(bob)) {
        b.awaitType("hello");
        // the server keeps 3 unconfirmed and 3 unread: both marks reach back into its journal
        b.sendJson("type", "received", "upTo", 4);
        List<JsonNode> delivered = a.awaitTypes("receipt", 4, WAIT);
        b.sendJson("type", "read", "conversation", "dm:alice6:bob6", "upTo", 8);
        List<JsonNode> afterRead = a.awaitTypes("receipt", 12, WAIT); // delivered for 5-8, read for 1-8
        List<String> deliveredIds = new java.util.ArrayList<>();
        List<String> readIds = new java.util.ArrayList<>();
        for (JsonNode r : delivered) deliveredIds.add(r.get("msgId").asText());
        for (JsonNode r : afterRead) (r.get("status").asText().equals("read") ? readIds : deliveredIds).add(r.get("msgId").asText());
        assertEquals(msgIds, deliveredIds, "one delivered receipt per message, in order");
        assertEquals(msgIds, readIds, "one read receipt per message, in order");
        assertTrue(a.drain(Duration.ofMillis(500)).stream().noneMatch(f -> f.path("type").asText().equals("receipt")));
      }
    }
  }

  @Test
  void restUpdatesServeTheSameStream() {
    String alice = rest.login("alice4"), bob = rest.login("bob4");
    try (WsClient a = server.connect(alice)) {
      a.awaitType("hello");
      for (int i = 0; i < 5; i++) a.sendText("r" + i, "user:bob4", "x" + i);
      a.awaitTypes("ack", 5, WAIT);
    }
    Rest.Response page = rest.call("GET", "/api/v1/updates?after=1&limit=3", bob, null);
    assertEquals(200, page.status());
    assertEquals(5, page.body().get("lastSeq").asLong());
    assertTrue(page.body().get("more").asBoolean());
    assertEquals(3, page.body().get("updates").size());
    assertEquals(2, page.body().get("updates").get(0).get("seq").asLong());
    assertEquals("x1", page.body().get("updates").get(0).at("/body/text").asText());
    Rest.Response rest2 = rest.call("GET", "/api/v1/updates?after=4", bob, null);
    assertFalse(rest2.body().get("more").asBoolean());
    assertEquals(1, rest2.body().get("updates").size());
    assertEquals(401, rest.call("GET", "/api/v1/updates", null, null).status());
    assertEquals(400, rest.call("GET", "/api/v1/updates?after=-1", bob, null).status());
  }

  /**
   * A socket sends to its user's entity directly once connected. When that entity stops under it (in a
   * cluster: it moved to another node), the socket registers again at once through sharding: it keeps
   * getting live messages and its sends keep being acknowledged, with no reconnect.
   */
  @Test
  void aSocketOutlivesItsUsersEntity() {
    String alice = rest.login("alice7"), bob = rest.login("bob7");
    try (WsClient a = server.connect(alice); WsClient b = server.connect(bob)) {
      a.awaitType("hello");
      b.awaitType("hello");
      a.sendText("c1", "user:bob7", "before");
      a.awaitType("ack");
      assertEquals("before", b.awaitType("message").get("body").get("text").asText());

      server.stopUserEntity("bob7");

      a.sendText("c2", "user:bob7", "after");
      a.awaitType("ack");
      assertEquals("after", b.awaitType("message").get("body").get("text").asText(), "live on the same socket");
      b.sendText("r1", "user:alice7", "reply");
      assertEquals("r1", b.awaitType("ack").get("id").asText());
      assertEquals("reply", a.awaitType("message").get("body").get("text").asText());
      assertFalse(b.isClosed());
    }
  }
}
