package chat.group;

import chat.CborSerializable;
import chat.group.Group.Created;
import chat.group.Group.Event;
import chat.group.Group.MemberFailed;
import chat.group.Group.MemberRemoved;
import chat.group.Group.MembersAdded;
import chat.group.Group.Posted;
import chat.group.Group.Progress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** A group's state: membership, its order, post dedup, and the fan-out outbox. Mutable; snapshots are copies. */
public final class GroupState {
  private static final int POST_DEDUP_WINDOW = 10_000;

  public boolean exists;
  public String name;
  public int disappearAfterSeconds;
  public boolean adminsOnlySettings;
  public final LinkedHashSet<String> members = new LinkedHashSet<>();
  public final LinkedHashSet<String> admins = new LinkedHashSet<>();
  /** Last position given to a post or change; a post's position is its {@code groupSeq}. */
  public long position;
  /** (sender, client id) of recent posts, for idempotent resends. */
  public final LinkedHashMap<String, PostRef> posts = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, PostRef> eldest) {
      return size() > POST_DEDUP_WINDOW;
    }
  };
  /** Fan-out outbox: items some recipient still lacks, by position. */
  private final TreeMap<Long, Outstanding> pending = new TreeMap<>();
  /** Per member: every position up to this is in the member's stream. */
  final Map<String, Long> delivered = new HashMap<>();

  public record PostRef(String msgId, long ts, long position) implements CborSerializable {}
  /** One fan-out item: who must get it, and the membership after it (for change frames). */
  public record Item(long position, long ts, Event event, List<String> recipients, List<String> membersAfter) implements CborSerializable {}

  /**
   * A pending item with what the fan-out asks of it on every confirmation: its recipients as a set
   * (shared by consecutive items with the same recipients, so a post costs no set of its own) and how
   * many of them still lack it. Without these, each of 200 members' confirmations scanned the item's
   * recipient list, and the work per group message grew with the square of the group size.
   */
  private static final class Outstanding {
    final Item item;
    final Set<String> recipients;
    int remaining;

    Outstanding(Item item, Set<String> recipients, int remaining) {
      this.item = item;
      this.recipients = recipients;
      this.remaining = remaining;
    }
  }

  private List<String> lastRecipients = List.of();
  private Set<String> lastRecipientSet = Set.of();

  static String postKey(String sender, String clientId) {
    return sender + '\n' + clientId;
  }

  void apply(Event event) {
    switch (event) {
      case Created c -> {
        exists = true;
        name = c.name();
        members.addAll(c.members());
        admins.add(c.creator());
        adminsOnlySettings = c.adminsOnlySettings();
        enqueue(c.ts(), event, List.copyOf(members));
      }
      case MembersAdded a -> {
        members.addAll(a.users());
        enqueue(a.ts(), event, List.copyOf(members));
      }
      case MemberRemoved r -> {
        members.remove(r.user());
        admins.remove(r.user());
        if (admins.isEmpty() && !members.isEmpty()) admins.add(members.iterator().next()); // never leave a group without an admin
        List<String> recipients = new ArrayList<>(members);
        recipients.add(r.user()); // the removed member learns of its removal, then nothing more
        enqueue(r.ts(), event, recipients);
      }
      case Posted p -> {
        enqueue(p.ts(), event, List.copyOf(members));
        posts.put(postKey(p.sender(), p.clientId()), new PostRef(p.msgId(), p.ts(), position));
      }
      case Group.SettingsSet st -> {
        disappearAfterSeconds = st.disappearAfterSeconds();
        enqueue(st.ts(), event, List.copyOf(members));
      }
      case Progress p -> p.deliveredUpTo().forEach(this::confirm);
      case MemberFailed f -> confirm(f.member(), f.upTo());
    }
  }

  private void enqueue(long ts, Event event, List<String> recipients) {
    position++;
    track(new Item(position, ts, event, recipients, List.copyOf(members)));
  }

  private void track(Item item) {
    if (!item.recipients().equals(lastRecipients)) {
      lastRecipients = item.recipients();
      lastRecipientSet = Set.copyOf(item.recipients());
    }
    int remaining = 0;
    for (String r : lastRecipientSet) if (delivered.getOrDefault(r, 0L) < item.position()) remaining++;
    if (remaining > 0) pending.put(item.position(), new Outstanding(item, lastRecipientSet, remaining));
  }

  /** Up to {@code max} items {@code member} still lacks, in order. */
  List<Item> pendingFor(String member, int max) {
    long done = delivered.getOrDefault(member, 0L);
    List<Item> out = new ArrayList<>();
    for (Outstanding o : pending.tailMap(done, false).values()) {
      if (out.size() >= max) break;
      if (o.recipients.contains(member)) out.add(o.item);
    }
    return out;
  }

  Set<String> recipientsWithPending() {
    Set<String> out = new LinkedHashSet<>();
    for (Outstanding o : pending.values()) {
      for (String r : o.recipients) if (delivered.getOrDefault(r, 0L) < o.item.position()) out.add(r);
    }
    return out;
  }

  void confirm(String member, long upTo) {
    long before = delivered.getOrDefault(member, 0L);
    if (upTo <= before) return;
    delivered.put(member, upTo);
    for (Outstanding o : pending.subMap(before, false, upTo, true).values()) {
      if (o.recipients.contains(member)) o.remaining--;
    }
    while (!pending.isEmpty() && pending.firstEntry().getValue().remaining <= 0) pending.pollFirstEntry();
  }

  int pendingCount() {
    return pending.size();
  }

  // ---------------------------------------------------------------- snapshots

  public record PostEntry(String key, PostRef ref) implements CborSerializable {}

  public record Snapshot(boolean exists, String name, int disappearAfterSeconds, boolean adminsOnlySettings, List<String> members, List<String> admins, long position,
                         List<PostEntry> posts, List<Item> pending, Map<String, Long> delivered) implements CborSerializable {}

  Snapshot toSnapshot() {
    List<PostEntry> postCopy = new ArrayList<>(posts.size());
    posts.forEach((k, v) -> postCopy.add(new PostEntry(k, v)));
    return new Snapshot(exists, name, disappearAfterSeconds, adminsOnlySettings, List.copyOf(members), List.copyOf(admins), position, postCopy,
        pending.values().stream().map(o -> o.item).toList(), Map.copyOf(delivered));
  }

  static GroupState fromSnapshot(Snapshot s) {
    GroupState g = new GroupState();
    g.exists = s.exists();
    g.name = s.name();
    g.disappearAfterSeconds = s.disappearAfterSeconds();
    g.adminsOnlySettings = s.adminsOnlySettings();
    g.members.addAll(s.members());
    g.admins.addAll(s.admins());
    g.position = s.position();
    s.posts().forEach(p -> g.posts.put(p.key(), p.ref()));
    g.delivered.putAll(s.delivered());
    s.pending().forEach(g::track);
    return g;
  }
}
