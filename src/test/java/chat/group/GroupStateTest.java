package chat.group;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.group.Group.Created;
import chat.group.Group.MemberRemoved;
import chat.group.Group.MembersAdded;
import chat.group.Group.Posted;
import chat.group.Group.Progress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fan-out outbox's bookkeeping: what each member still lacks, and when an item is done with. */
class GroupStateTest {

  private static List<Long> positions(List<GroupState.Item> items) {
    return items.stream().map(GroupState.Item::position).toList();
  }

  private static GroupState groupOfThreeWithTwoPosts() {
    GroupState g = new GroupState();
    g.apply(new Created("g", "ann", List.of("ann", "bob", "cy"), 1, false)); // position 1
    g.apply(new Posted("m1", "ann", "c1", 2, "{}", 0));                     // position 2
    g.apply(new Posted("m2", "bob", "c2", 3, "{}", 0));                     // position 3
    return g;
  }

  @Test
  void anItemStaysUntilEveryRecipientHasIt() {
    GroupState g = groupOfThreeWithTwoPosts();
    assertEquals(List.of(1L, 2L, 3L), positions(g.pendingFor("cy", 10)));
    g.confirm("ann", 3);
    g.confirm("bob", 2);
    assertEquals(3, g.pendingCount(), "cy has nothing yet");
    g.confirm("cy", 2);
    assertEquals(1, g.pendingCount(), "positions 1 and 2 reached everyone");
    assertEquals(List.of(3L), positions(g.pendingFor("bob", 10)));
    assertEquals(List.of(), positions(g.pendingFor("ann", 10)));
    g.confirm("cy", 1); // a stale confirmation changes nothing
    g.confirm("bob", 3);
    assertEquals(1, g.pendingCount());
    g.confirm("cy", 3);
    assertEquals(0, g.pendingCount());
  }

  @Test
  void aLaterMemberIsNotARecipientOfEarlierItemsAndARemovedOneGetsItsRemoval() {
    GroupState g = groupOfThreeWithTwoPosts();
    g.apply(new MembersAdded("ann", List.of("dee"), 4));   // position 4
    g.apply(new MemberRemoved("ann", "cy", 5));            // position 5
    g.apply(new Posted("m3", "ann", "c3", 6, "{}", 0));     // position 6
    assertEquals(List.of(4L, 5L, 6L), positions(g.pendingFor("dee", 10)));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), positions(g.pendingFor("cy", 10)), "cy gets its own removal, not what follows");
    g.apply(new Progress(Map.of("ann", 6L, "bob", 6L, "dee", 6L)));
    assertEquals(6, g.pendingCount(), "cy still lacks 1 to 5, and 6 (done) leaves in order behind them");
    g.confirm("cy", 5);
    assertEquals(0, g.pendingCount());
  }

  @Test
  void aSnapshotKeepsWhatIsOutstanding() {
    GroupState g = groupOfThreeWithTwoPosts();
    g.confirm("ann", 3);
    g.confirm("bob", 1);
    GroupState restored = GroupState.fromSnapshot(g.toSnapshot());
    assertEquals(3, restored.pendingCount());
    assertEquals(List.of(2L, 3L), positions(restored.pendingFor("bob", 10)));
    restored.confirm("cy", 3);
    assertEquals(2, restored.pendingCount(), "only bob lacks 2 and 3 now");
    restored.confirm("bob", 3);
    assertEquals(0, restored.pendingCount());
  }
}
