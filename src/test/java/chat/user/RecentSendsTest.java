package chat.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import chat.user.UserState.OwnEntry;
import chat.user.UserState.OwnRef;
import chat.user.UserState.SentEntry;
import chat.user.UserState.SentRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The window of a user's newest messages: a resend finds its original, receipts find the message,
 * the oldest is forgotten first, and a snapshot brings back exactly what was there.
 */
class RecentSendsTest {

  /** What the window must behave like: a list, oldest first, trimmed to the capacity. */
  private record Row(String msgId, String clientId, String conversation, long ts, long seq) {}

  @Test
  void behavesLikeABoundedInsertionOrderedListThroughGrowthAndManyWraps() {
    for (int capacity : new int[] {1, 7, 8, 9, 33, 1024}) {
      Random random = new Random(capacity);
      RecentSends recent = new RecentSends(capacity);
      List<Row> model = new ArrayList<>();
      List<Row> everRecorded = new ArrayList<>();
      for (int i = 0; i < 6 * capacity + 200; i++) {
        // one in four an own group message (no client id); conversations repeat, as chats do
        String clientId = random.nextInt(4) == 0 ? null : "c" + i;
        Row row = new Row("m" + Long.toString(random.nextLong(), 36), clientId, "dm:a:" + random.nextInt(3), 1000 + i, i + 1);
        recent.record(row.msgId(), row.clientId(), row.conversation(), row.ts(), row.seq());
        model.add(row);
        everRecorded.add(row);
        if (model.size() > capacity) model.remove(0);

        Row probe = everRecorded.get(random.nextInt(everRecorded.size()));
        boolean kept = model.contains(probe);
        OwnRef own = recent.own(probe.msgId());
        assertEquals(kept ? new OwnRef(probe.conversation(), probe.seq()) : null, own, "own " + probe + " at " + i);
        if (probe.clientId() != null) {
          SentRef sent = recent.sentWithClientId(probe.clientId());
          assertEquals(kept ? new SentRef(probe.msgId(), probe.conversation(), probe.ts(), probe.seq()) : null, sent,
              "sent " + probe + " at " + i);
        }
      }
      assertEquals(model.size(), recent.size());
      assertEquals(model.stream().map(r -> new OwnEntry(r.msgId(), new OwnRef(r.conversation(), r.seq()))).toList(),
          recent.ownEntries(), "oldest first, capacity " + capacity);
      assertEquals(model.stream().filter(r -> r.clientId() != null)
              .map(r -> new SentEntry(r.clientId(), new SentRef(r.msgId(), r.conversation(), r.ts(), r.seq()))).toList(),
          recent.sentEntries());
    }
  }

  @Test
  void aSnapshotRestoresTheSameWindowInTheSameOrder() {
    RecentSends recent = new RecentSends(5);
    for (int i = 1; i <= 8; i++) recent.record("m" + i, i % 3 == 0 ? null : "c" + i, "dm:a:b", 100 + i, i);
    RecentSends restored = RecentSends.restore(5, recent.sentEntries(), recent.ownEntries());
    assertEquals(recent.ownEntries(), restored.ownEntries());
    assertEquals(recent.sentEntries(), restored.sentEntries());
    restored.record("m9", "c9", "dm:a:b", 109, 9);
    assertNull(restored.own("m4"), "the oldest is still forgotten first after a restore");
    assertEquals(new SentRef("m5", "dm:a:b", 105, 5), restored.sentWithClientId("c5"));
  }

  @Test
  void aSnapshotFromTheTwoSeparateWindowsIsReadBack() {
    // Before this class a user kept two windows: sends by client id, and own messages by msgId.
    // The sends window could still hold a send the own window had dropped for group messages.
    List<SentEntry> sent = List.of(
        new SentEntry("c1", new SentRef("m1", "dm:a:b", 101, 1)),
        new SentEntry("c2", new SentRef("m2", "dm:a:b", 102, 2)));
    List<OwnEntry> own = List.of(
        new OwnEntry("m2", new OwnRef("dm:a:b", 2)),
        new OwnEntry("g7", new OwnRef("group:x", 7)));
    RecentSends restored = RecentSends.restore(1024, sent, own);
    assertEquals(new SentRef("m1", "dm:a:b", 101, 1), restored.sentWithClientId("c1"));
    assertEquals(new SentRef("m2", "dm:a:b", 102, 2), restored.sentWithClientId("c2"));
    assertEquals(new OwnRef("group:x", 7), restored.own("g7"));
    assertEquals(new OwnRef("dm:a:b", 1), restored.own("m1"));
    assertEquals(3, restored.size());
  }

  @Test
  void consecutiveMessagesOfOneChatShareTheConversationString() {
    RecentSends recent = new RecentSends(16);
    recent.record("m1", "c1", new String("dm:a:b"), 1, 1);
    recent.record("m2", "c2", new String("dm:a:b"), 2, 2);
    assertSame(recent.own("m1").conversation(), recent.own("m2").conversation());
    assertSame(recent.own("m2").conversation(), recent.shared(new String("dm:a:b")), "a new message of the chat gets it too");
    assertEquals("dm:a:c", recent.shared("dm:a:c"));
  }

  @Test
  void noClientIdFindsNothing() {
    RecentSends recent = new RecentSends(4);
    recent.record("g1", null, "group:x", 0, 1);
    assertNull(recent.sentWithClientId(null));
    assertEquals(List.of(), recent.sentEntries(), "an own group message is not a 1:1 send");
  }

  @Test
  void aWindowOfZeroRemembersNothing() {
    RecentSends recent = new RecentSends(0);
    recent.record("m1", "c1", "dm:a:b", 1, 1);
    assertNull(recent.own("m1"));
    assertNull(recent.sentWithClientId("c1"));
    assertEquals(List.of(), recent.ownEntries());
  }
}
