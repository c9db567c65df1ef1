package chat.user;

import chat.media.MediaRetention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.testing.EntityKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.Test;

/**
 * The User entity on its own, driven with the ActorTestKit on a real (H2) journal: dedup, order,
 * gapless seq, receipts as watermarks, and recovery from snapshot plus events.
 */
class UserEntityTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private static ActorTestKit startKit(Path dir) {
    return startKit(dir, "5ms");
  }

  private static ActorTestKit startKit(Path dir, String receiptDelay) {
    return startKit(dir, Map.of("parley.chat.receipt-delay", receiptDelay));
  }

  private static ActorTestKit startKit(Path dir, Map<String, Object> overrides) {
    Map<String, Object> config = new java.util.HashMap<>(Map.of("parley.chat.snapshot-every", 5, "parley.chat.unread-in-memory", 3,
        "parley.chat.unconfirmed-in-memory", 3, "parley.chat.receipt-delay", "5ms"));
    config.putAll(overrides);
    EntityKit entities = EntityKit.start("user-entity-test", dir, config);
    ChatSettings settings = ChatSettings.from(entities.parley());
    UpdateLog updateLog = new UpdateLog(entities.kit().system());
    ClusterSharding.get(entities.kit().system()).init(Entity.of(User.TYPE_KEY,
        e -> User.create(e, settings, entities.sealer(), MediaRetention.NONE, updateLog)));
    return entities.kit();
  }

  private static EntityRef<User.Command> user(ActorTestKit kit, String id) {
    return ClusterSharding.get(kit.system()).entityRefFor(User.TYPE_KEY, id);
  }

  /** A socket of {@code id}, registered with its entity; returns once the entity said {@code Connected}. */
  private static TestProbe<User.Outbound> connect(ActorTestKit kit, String id) {
    TestProbe<User.Outbound> socket = kit.createTestProbe();
    user(kit, id).tell(new User.Connect(socket.getRef()));
    expect(socket, User.Connected.class);
    return socket;
  }

  private static <T> T expect(TestProbe<User.Outbound> probe, Class<T> type) {
    while (true) {
      User.Outbound next = probe.receiveMessage(WAIT);
      if (type.isInstance(next)) return type.cast(next);
    }
  }

  @Test
  void sendsAreDeduplicatedOrderedAndGapless() throws Exception {
    ActorTestKit kit = startKit(Files.createTempDirectory("user-entity"));
    try {
      TestProbe<User.Outbound> aliceSocket = kit.createTestProbe();
      TestProbe<User.Outbound> bobSocket = kit.createTestProbe();
      user(kit, "alice").tell(new User.Connect(aliceSocket.getRef()));
      user(kit, "bob").tell(new User.Connect(bobSocket.getRef()));
      assertEquals(0, expect(aliceSocket, User.Connected.class).end().lastSeq());
      expect(bobSocket, User.Connected.class);

      List<String> msgIds = new ArrayList<>();
      for (int i = 0; i < 20; i++) user(kit, "alice").tell(new User.Send("c" + i, "bob", "{\"text\":\"" + i + "\"}", aliceSocket.getRef()));
      for (int i = 0; i < 20; i++) {
        User.Acked ack = expect(aliceSocket, User.Acked.class);
        assertEquals("c" + i, ack.clientId());
        assertEquals(i + 1, ack.seq(), "gapless seq in the sender's stream");
        msgIds.add(ack.msgId());
      }
      // resend of an old id: same ack, nothing new stored
      user(kit, "alice").tell(new User.Send("c4", "bob", "{\"text\":\"dup\"}", aliceSocket.getRef()));
      assertEquals(msgIds.get(4), expect(aliceSocket, User.Acked.class).msgId());

      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        User.Update u = expect(bobSocket, User.Update.class);
        assertEquals(i + 1, u.seq());
        User.MessageReceived m = assertInstanceOf(User.MessageReceived.class, u.event());
        assertEquals(msgIds.get(i), m.msgId());
        assertEquals("alice", m.from());
        assertTrue(seen.add(m.msgId()));
      }
      TestProbe<User.StreamEnd> last = kit.createTestProbe();
      user(kit, "bob").tell(new User.GetStreamEnd(last.getRef()));
      assertEquals(20L, last.receiveMessage(WAIT).lastSeq());
    } finally {
      kit.shutdownTestKit();
    }
  }

  /**
   * A sender addresses a recipient's entity directly once it answered (PeerRefs). When that entity
   * stops (here: passivated while its user is offline), the next message must still get through, by
   * way of sharding, which starts the entity again: well before the attempt timeout, which this test
   * sets far beyond its wait.
   */
  @Test
  void aMessageAfterTheRecipientsEntityStoppedStillArrivesInOrder() throws Exception {
    ActorTestKit kit = startKit(Files.createTempDirectory("user-entity"),
        Map.of("parley.chat.passivate-after", "200ms", "parley.chat.delivery-attempt-timeout", "120s"));
    try {
      TestProbe<User.Outbound> aliceSocket = connect(kit, "alice");
      user(kit, "alice").tell(new User.Send("c1", "bob", "{\"text\":\"1\"}", aliceSocket.getRef()));
      assertEquals(1, expect(aliceSocket, User.Acked.class).seq());

      // bob's entity names itself in its answers; nothing keeps it alive, so it passivates
      TestProbe<User.Delivered> answers = kit.createTestProbe();
      user(kit, "bob").tell(new User.Deliver("carol", List.of(), answers.getRef()));
      ActorRef<User.Command> bobEntity = answers.receiveMessage(WAIT).entity();
      answers.expectTerminated(bobEntity, WAIT);

      user(kit, "alice").tell(new User.Send("c2", "bob", "{\"text\":\"2\"}", aliceSocket.getRef()));
      assertEquals(2, expect(aliceSocket, User.Acked.class).seq());

      TestProbe<User.StreamEnd> end = kit.createTestProbe();
      user(kit, "bob").tell(new User.GetStreamEnd(end.getRef()));
      assertEquals(2L, end.receiveMessage(WAIT).lastSeq(), "both messages, each once");
      List<User.Update> stored = new UpdateLog(kit.system()).range("bob", 1, 2, new User.StreamEnd(2, 2))
          .toCompletableFuture().get(15, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(List.of(1L, 2L), stored.stream().map(u -> ((User.MessageReceived) u.event()).senderSeq()).toList(), "in order");
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void receiptsAreWatermarksReadImpliesDeliveredAndRepeatsAreDropped() throws Exception {
    ActorTestKit kit = startKit(Files.createTempDirectory("user-entity"));
    try {
      TestProbe<User.Outbound> aliceSocket = connect(kit, "alice");
      for (int i = 0; i < 3; i++) user(kit, "alice").tell(new User.Send("r" + i, "bob", "{\"text\":\"x\"}", aliceSocket.getRef()));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) ids.add(expect(aliceSocket, User.Acked.class).msgId());

      user(kit, "bob").tell(new User.Received(1));
      User.ReceiptAdded first = assertInstanceOf(User.ReceiptAdded.class, expect(aliceSocket, User.Update.class).event());
      assertEquals(ids.get(0), first.msgId());
      assertEquals(User.DELIVERED, first.status());

      // reading up to 3 without having received 2 and 3: delivered then read for each, in order
      user(kit, "bob").tell(new User.Read("dm:alice:bob", 3));
      List<String> statuses = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        User.ReceiptAdded r = assertInstanceOf(User.ReceiptAdded.class, expect(aliceSocket, User.Update.class).event());
        statuses.add(r.status() + ":" + ids.indexOf(r.msgId()));
      }
      assertEquals(List.of("read:0", "delivered:1", "read:1", "delivered:2", "read:2"), statuses);

      user(kit, "bob").tell(new User.Received(3));
      user(kit, "bob").tell(new User.Read("dm:alice:bob", 3));
      aliceSocket.expectNoMessage(Duration.ofMillis(500));
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aReceivedAndAReadTogetherCostTheSenderOneWrite() throws Exception {
    // a delay far longer than the two tells take, so that both are queued before it ends
    ActorTestKit kit = startKit(Files.createTempDirectory("user-entity"), "1s");
    try {
      TestProbe<User.Outbound> aliceSocket = connect(kit, "alice");
      TestProbe<User.Outbound> bobSocket = connect(kit, "bob");
      for (int i = 0; i < 3; i++) user(kit, "alice").tell(new User.Send("t" + i, "bob", "{\"text\":\"x\"}", aliceSocket.getRef()));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) ids.add(expect(aliceSocket, User.Acked.class).msgId());
      for (int i = 0; i < 3; i++) expect(bobSocket, User.Update.class);
      TestProbe<User.StreamEnd> end = kit.createTestProbe();
      user(kit, "alice").tell(new User.GetStreamEnd(end.getRef()));
      User.StreamEnd before = end.receiveMessage(WAIT);

      // what a client does when it shows the messages: confirms them, then marks them read
      user(kit, "bob").tell(new User.Received(3));
      user(kit, "bob").tell(new User.Read("dm:alice:bob", 3));
      List<String> statuses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        User.Update u = expect(aliceSocket, User.Update.class);
        User.ReceiptAdded r = assertInstanceOf(User.ReceiptAdded.class, u.event());
        statuses.add(r.status() + ":" + ids.indexOf(r.msgId()));
      }
      assertEquals(List.of("delivered:0", "delivered:1", "delivered:2", "read:0", "read:1", "read:2"), statuses);
      user(kit, "alice").tell(new User.GetStreamEnd(end.getRef()));
      User.StreamEnd after = end.receiveMessage(WAIT);
      assertEquals(before.lastSeq() + 6, after.lastSeq());
      assertEquals(before.lastRow() + 1, after.lastRow(), "all six receipts in one journal row");
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void receiptsFromManyRecipientsAtOnceAreAllWrittenAndConfirmedOnce() throws Exception {
    ActorTestKit kit = startKit(Files.createTempDirectory("user-entity"));
    try {
      TestProbe<User.Outbound> authorSocket = connect(kit, "author");
      user(kit, "author").tell(new User.Send("m", "r0", "{\"text\":\"x\"}", authorSocket.getRef()));
      User.Acked ack = expect(authorSocket, User.Acked.class);

      // as when the members of a group confirm one message together: one Receipts each, back to back
      int recipients = 30;
      TestProbe<User.ReceiptsTaken> confirmations = kit.createTestProbe();
      for (int i = 0; i < recipients; i++) {
        List<UserState.ReceiptItem> items = List.of(new UserState.ReceiptItem(ack.msgId(), "dm:author:r" + i,
            i % 2 == 0 ? User.READ : User.DELIVERED, ack.seq()));
        user(kit, "author").tell(new User.Receipts("r" + i, items, confirmations.getRef()));
      }
      for (int i = 0; i < recipients; i++) confirmations.expectMessageClass(User.ReceiptsTaken.class, WAIT);

      Set<String> receipts = new HashSet<>();
      long seq = ack.seq();
      for (int i = 0; i < recipients + recipients / 2; i++) {
        User.Update u = expect(authorSocket, User.Update.class);
        assertEquals(++seq, u.seq(), "gapless");
        User.ReceiptAdded r = assertInstanceOf(User.ReceiptAdded.class, u.event());
        assertTrue(receipts.add(r.by() + ":" + r.status()), "once per recipient and status: " + r);
      }
      // the same receipts again (a recipient retrying): confirmed, nothing new written
      user(kit, "author").tell(new User.Receipts("r0", List.of(new UserState.ReceiptItem(ack.msgId(), "dm:author:r0", User.READ, ack.seq())),
          confirmations.getRef()));
      confirmations.expectMessageClass(User.ReceiptsTaken.class, WAIT);
      authorSocket.expectNoMessage(Duration.ofMillis(500));
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void sendsWrittenTogetherKeepTheirOrderAroundASettingsChange() throws Exception {
    ActorTestKit kit = startKit(Files.createTempDirectory("user-entity"));
    try {
      TestProbe<User.Outbound> phone = connect(kit, "alice");
      TestProbe<User.Outbound> laptop = connect(kit, "alice");
      TestProbe<Boolean> changed = kit.createTestProbe();

      // back to back, so the sends before the change are still waiting to be written when it arrives
      EntityRef<User.Command> alice = user(kit, "alice");
      for (int i = 0; i < 5; i++) alice.tell(new User.Send("before" + i, "bob", "{\"text\":\"b\"}", phone.getRef()));
      alice.tell(new User.Send("before0", "bob", "{\"text\":\"again\"}", phone.getRef())); // a resend in the same turn
      alice.tell(new User.ChangeSettings("dm:alice:bob", 60, changed.getRef()));
      for (int i = 0; i < 5; i++) alice.tell(new User.Send("after" + i, "bob", "{\"text\":\"a\"}", phone.getRef()));
      assertTrue(changed.receiveMessage(WAIT));

      List<String> order = new ArrayList<>();
      for (int i = 0; i < 11; i++) {
        User.Update u = expect(laptop, User.Update.class);
        assertEquals(i + 1, u.seq(), "gapless");
        switch (u.event()) {
          case User.MessageSent m -> {
            boolean before = m.clientId().startsWith("before");
            assertEquals(before, m.expiresAt() == 0, "the rule in force when it was sent: " + m.clientId());
            order.add(m.clientId());
          }
          case User.SettingsChanged c -> order.add("settings");
          default -> throw new AssertionError("unexpected " + u.event());
        }
      }
      assertEquals(List.of("before0", "before1", "before2", "before3", "before4", "settings",
          "after0", "after1", "after2", "after3", "after4"), order);
      Set<String> acked = new HashSet<>();
      for (int i = 0; i < 11; i++) acked.add(expect(phone, User.Acked.class).clientId());
      assertEquals(10, acked.size(), "every send acked, the resend with its original's ack");
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void readReceiptsReachBackPastTheUnreadKeptInMemory() throws Exception {
    receiptsReachBackPastWhatIsKeptInMemory(User.READ, upTo -> new User.Read("dm:alice:bob", upTo));
  }

  @Test
  void deliveredReceiptsReachBackPastTheUnconfirmedKeptInMemory() throws Exception {
    receiptsReachBackPastWhatIsKeptInMemory(User.DELIVERED, User.Received::new);
  }

  /**
   * Bob keeps 3 unread and 3 unconfirmed messages in memory: marking 4 of alice's 8 messages, then
   * all, reaches back into the journal, and alice gets each receipt of {@code status} once, in order.
   */
  private static void receiptsReachBackPastWhatIsKeptInMemory(String status, java.util.function.LongFunction<User.Command> markUpTo)
      throws Exception {
    ActorTestKit kit = startKit(Files.createTempDirectory("user-entity"));
    try {
      TestProbe<User.Outbound> alice = connect(kit, "alice");
      List<String> sent = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        user(kit, "alice").tell(new User.Send("u" + i, "bob", "{\"text\":\"" + i + "\"}", alice.getRef()));
        sent.add(expect(alice, User.Acked.class).msgId());
      }
      user(kit, "bob").tell(markUpTo.apply(4));
      assertEquals(sent.subList(0, 4), receipts(alice, status, 4));
      user(kit, "bob").tell(markUpTo.apply(100));
      assertEquals(sent.subList(4, 8), receipts(alice, status, 4));
      user(kit, "bob").tell(markUpTo.apply(100));
      alice.expectNoMessage(Duration.ofMillis(300));
    } finally {
      kit.shutdownTestKit();
    }
  }

  /** The msgIds of the next {@code count} receipts of {@code status} on a socket, in the order they arrive. */
  private static List<String> receipts(TestProbe<User.Outbound> socket, String status, int count) {
    List<String> msgIds = new ArrayList<>();
    while (msgIds.size() < count) {
      if (expect(socket, User.Update.class).event() instanceof User.ReceiptAdded r && r.status().equals(status)) msgIds.add(r.msgId());
    }
    return msgIds;
  }

  private static List<Long> snapshotsOf(Path dir, String userId) throws java.sql.SQLException {
    try (var db = java.sql.DriverManager.getConnection(chat.storage.Database.embeddedH2Url(dir), "sa", "");
         var rows = db.createStatement().executeQuery("SELECT \"sequence_number\" FROM \"snapshot\" WHERE \"persistence_id\" = '"
             + User.persistenceId(userId) + "' ORDER BY 1")) {
      List<Long> sequenceNumbers = new ArrayList<>();
      while (rows.next()) sequenceNumbers.add(rows.getLong(1));
      return sequenceNumbers;
    }
  }

  @Test
  void recoveryRestoresSeqDedupAndReceiptWatermarks() throws Exception {
    Path dir = Files.createTempDirectory("user-entity");
    List<String> ids = new ArrayList<>();
    ActorTestKit kit = startKit(dir);
    try {
      TestProbe<User.Outbound> socket = connect(kit, "alice");
      // 22 writes, one row each, with snapshots every 5 rows: recovery = the snapshot at 20 + 2 rows
      for (int i = 0; i < 22; i++) {
        user(kit, "alice").tell(new User.Send("p" + i, "bob", "{\"text\":\"y\"}", socket.getRef()));
        ids.add(expect(socket, User.Acked.class).msgId());
      }
      // the deletion of old snapshots follows each save asynchronously
      List<Long> kept = List.of();
      for (long deadline = System.nanoTime() + WAIT.toNanos(); System.nanoTime() < deadline; Thread.sleep(50)) {
        kept = snapshotsOf(dir, "alice");
        if (kept.equals(List.of(15L, 20L))) break;
      }
      assertEquals(List.of(15L, 20L), kept, "the two latest snapshots, older ones deleted");
    } finally {
      kit.shutdownTestKit();
    }
    ActorTestKit again = startKit(dir);
    try {
      TestProbe<User.Outbound> socket = again.createTestProbe();
      user(again, "alice").tell(new User.Connect(socket.getRef()));
      assertEquals(22, expect(socket, User.Connected.class).end().lastSeq());
      user(again, "alice").tell(new User.Send("p21", "bob", "{\"text\":\"again\"}", socket.getRef()));
      assertEquals(ids.get(21), expect(socket, User.Acked.class).msgId());
      user(again, "alice").tell(new User.Send("p0", "bob", "{\"text\":\"again\"}", socket.getRef()));
      assertEquals(ids.get(0), expect(socket, User.Acked.class).msgId());
      user(again, "alice").tell(new User.Send("new", "bob", "{\"text\":\"z\"}", socket.getRef()));
      assertEquals(23, expect(socket, User.Acked.class).seq());
      TestProbe<User.StreamEnd> last = again.createTestProbe();
      user(again, "bob").tell(new User.GetStreamEnd(last.getRef()));
      assertEquals(23L, last.receiveMessage(WAIT).lastSeq(), "bob got each message exactly once");
    } finally {
      again.shutdownTestKit();
    }
  }
}
