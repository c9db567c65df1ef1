package chat.user;

import chat.user.UserState.OwnRef;
import chat.user.UserState.SentRef;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One 1:1 send's work on a user's full window of recent sends: the dedup lookup by client id (a
 * miss, as for every new message), then remembering it, which forgets the oldest. {@link
 * RecentSends} against the two insertion-ordered maps of records it replaced, same ids, same run.
 * Ids cycle through 64 Ki, far more than the window, so every send evicts. The command is in
 * docs/benchmarks.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RecentSendsBenchmark {
  private static final int ID_MASK = (1 << 16) - 1;

  @Param({"1024"})
  public int window;

  private String[] clientIds;
  private String[] msgIds;
  private String[] conversations;
  private RecentSends recent;
  private LinkedHashMap<String, SentRef> sentByClientId;
  private LinkedHashMap<String, OwnRef> ownByMsgId;
  private int next;

  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(7);
    clientIds = new String[ID_MASK + 1];
    msgIds = new String[ID_MASK + 1];
    conversations = new String[ID_MASK + 1];
    for (int i = 0; i <= ID_MASK; i++) {
      clientIds[i] = java.util.UUID.randomUUID().toString();
      msgIds[i] = "m" + Long.toUnsignedString(random.nextLong(), 36) + Long.toUnsignedString(random.nextLong(), 36);
      // a new string per message, as the entity builds it; a few chats
      conversations[i] = new String("dm:alice:peer" + random.nextInt(4));
    }
    recent = new RecentSends(window);
    int limit = window;
    sentByClientId = new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, SentRef> eldest) {
        return size() > limit;
      }
    };
    ownByMsgId = new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, OwnRef> eldest) {
        return size() > limit;
      }
    };
    for (int i = 0; i < 2 * window; i++) {
      recentSends();
      twoLinkedHashMaps();
    }
  }

  @Benchmark
  public Object recentSends() {
    int i = next++ & ID_MASK;
    SentRef known = recent.sentWithClientId(clientIds[i]);
    if (known == null) recent.record(msgIds[i], clientIds[i], conversations[i], i, i);
    return known;
  }

  @Benchmark
  public Object twoLinkedHashMaps() {
    int i = next++ & ID_MASK;
    SentRef known = sentByClientId.get(clientIds[i]);
    if (known == null) {
      sentByClientId.put(clientIds[i], new SentRef(msgIds[i], conversations[i], i, i));
      ownByMsgId.put(msgIds[i], new OwnRef(conversations[i], i));
    }
    return known;
  }
}
