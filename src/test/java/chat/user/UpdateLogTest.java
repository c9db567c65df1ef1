package chat.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.media.MediaRetention;
import chat.testing.EntityKit;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;

/**
 * Reading a user's stream back when journal rows hold several updates each, after rows written
 * before batching (one plain update per row): every {@code after}, page size and bound gives exactly
 * the updates {@code after + 1 ..}, in order.
 */
class UpdateLogTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  /** Writes plain updates one per row, as the User entity did before batching. */
  private static final class LegacyStream extends EventSourcedBehavior<LegacyStream.Write, User.Event, Integer> {
    record Write(User.Event update, ActorRef<Long> replyTo) implements chat.CborSerializable {}

    LegacyStream(String userId) {
      super(PersistenceId.of("User", userId));
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Write, User.Event, Integer> commandHandler() {
      return (rows, write) -> Effect().persist(write.update()).thenRun(after -> write.replyTo().tell((long) (int) after));
    }

    @Override
    public EventHandler<Integer, User.Event> eventHandler() {
      return (rows, event) -> rows + 1;
    }
  }

  private static User.MessageReceived message(long n) {
    return new User.MessageReceived("m" + n, "dave", "dm:carol:dave", 1_000 + n, "{\"text\":\"" + n + "\"}", n, 0, 0);
  }

  @Test
  void everyPageOfAStreamWithLegacyAndBatchedRowsIsExact() throws Exception {
    EntityKit entities = EntityKit.start("update-log-test", Files.createTempDirectory("update-log"), Map.of());
    ActorTestKit kit = entities.kit();
    try {
      // rows 1-4: one plain update each (seqs 1-4)
      Behavior<LegacyStream.Write> legacy = new LegacyStream("carol");
      ActorRef<LegacyStream.Write> writer = kit.spawn(legacy);
      TestProbe<Long> written = kit.createTestProbe();
      for (long n = 1; n <= 4; n++) {
        writer.tell(new LegacyStream.Write(message(n), written.getRef()));
        assertEquals(n, written.receiveMessage(WAIT));
      }
      kit.stop(writer);

      // rows 5-8: the entity writes each delivery as one row, of 3, 1, 5 and 2 updates (seqs 5-15)
      ChatSettings settings = ChatSettings.from(entities.parley());
      UpdateLog log = new UpdateLog(kit.system());
      ClusterSharding.get(kit.system()).init(Entity.of(User.TYPE_KEY, e -> User.create(e, settings, entities.sealer(), MediaRetention.NONE, log)));
      EntityRef<User.Command> carol = ClusterSharding.get(kit.system()).entityRefFor(User.TYPE_KEY, "carol");
      TestProbe<User.Delivered> delivered = kit.createTestProbe();
      long next = 5;
      for (int size : new int[] {3, 1, 5, 2}) {
        List<User.Delivery> batch = new ArrayList<>();
        for (int i = 0; i < size; i++, next++) {
          User.MessageReceived m = message(next);
          batch.add(new User.Delivery(m.msgId(), next, m.conversation(), m.ts(), m.body(), "dave", null, 0, null));
        }
        carol.tell(new User.Deliver("dave", batch, delivered.getRef()));
        assertEquals(next - 1, delivered.receiveMessage(WAIT).upToSenderSeq());
      }
      TestProbe<User.StreamEnd> endProbe = kit.createTestProbe();
      carol.tell(new User.GetStreamEnd(endProbe.getRef()));
      User.StreamEnd end = endProbe.receiveMessage(WAIT);
      assertEquals(new User.StreamEnd(15, 8), end);

      User.StreamEnd stale = new User.StreamEnd(4, 4);
      for (long after = 0; after <= 17; after++) {
        for (int max : new int[] {1, 2, 4, 20}) {
          List<Long> expected = LongStream.rangeClosed(after + 1, Math.min(15, after + max)).boxed().toList();
          for (User.StreamEnd known : new User.StreamEnd[] {end, stale, null}) {
            UpdateLog.Page page = log.page("carol", after, max, known, 0).toCompletableFuture().get(15, TimeUnit.SECONDS);
            String what = "after " + after + ", max " + max + ", end " + known;
            assertEquals(expected, page.updates().stream().map(User.Update::seq).toList(), what);
            for (User.Update u : page.updates()) {
              assertEquals("m" + u.seq(), ((User.MessageReceived) u.event()).msgId(), what);
            }
          }
        }
      }

      // paging on from each page's nextRow reads the whole stream once, in order
      List<Long> seen = new ArrayList<>();
      long after = 0;
      long row = 0;
      while (true) {
        UpdateLog.Page page = log.page("carol", after, 2, end, row).toCompletableFuture().get(15, TimeUnit.SECONDS);
        page.updates().forEach(u -> seen.add(u.seq()));
        if (page.updates().isEmpty()) break;
        after = page.updates().get(page.updates().size() - 1).seq();
        row = page.nextRow();
      }
      assertEquals(LongStream.rangeClosed(1, 15).boxed().toList(), seen);

      // a hint that points past the update asked for is caught, not trusted
      UpdateLog.Page fromWrongRow = log.page("carol", 3, 3, end, 7).toCompletableFuture().get(15, TimeUnit.SECONDS);
      assertEquals(List.of(4L, 5L, 6L), fromWrongRow.updates().stream().map(User.Update::seq).toList());
    } finally {
      kit.shutdownTestKit();
    }
  }
}
