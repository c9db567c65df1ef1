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
  final TreeMap<Long, Item> pending = new TreeMap<>();
  /** Per member: every position up to this is in the member's stream. */
  final Map<String, Long> delivered = new HashMap<>();

  public record PostRef(String msgId, long ts, long position) implements CborSerializable {}
  /** One fan-out item: who must get it, and the membership after it (for change frames). */
  public record Item(long position, long ts, Event event, List<String> recipients, List<String> membersAfter) implements CborSerializable {}

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
    pending.put(position, new Item(position, ts, event, recipients, List.copyOf(members)));
  }

  /** Up to {@code max} items {@code member} still lacks, in order. */
  List<Item> pendingFor(String member, int max) {
    long done = delivered.getOrDefault(member, 0L);
    List<Item> out = new ArrayList<>();
    for (Item item : pending.tailMap(done, false).values()) {
      if (out.size() >= max) break;
      if (item.recipients().contains(member)) out.add(item);
    }
    return out;
  }

  Set<String> recipientsWithPending() {
    Set<String> out = new LinkedHashSet<>();
    for (Item item : pending.values()) {
      for (String r : item.recipients()) if (delivered.getOrDefault(r, 0L) < item.position()) out.add(r);
    }
    return out;
  }

  void confirm(String member, long upTo) {
    delivered.merge(member, upTo, Math::max);
    while (!pending.isEmpty()) {
      Item head = pending.firstEntry().getValue();
      boolean everyoneHasIt = head.recipients().stream().allMatch(r -> delivered.getOrDefault(r, 0L) >= head.position());
      if (!everyoneHasIt) break;
      pending.pollFirstEntry();
    }
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
        List.copyOf(pending.values()), Map.copyOf(delivered));
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
    s.pending().forEach(i -> g.pending.put(i.position(), i));
    g.delivered.putAll(s.delivered());
    return g;
  }
}
