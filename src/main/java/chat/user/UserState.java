package chat.user;

import chat.CborSerializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link User} entity needs to handle commands; history itself stays in the journal.
 * Mutable for speed (one writer: the entity); snapshots are immutable copies ({@link Snapshot}).
 *
 * <p>The receipt bookkeeping ({@code awaitingReceived}, {@code unread}, {@code receiptOutbox}) is
 * changed by commands without journal writes: after a crash it is rebuilt from the last snapshot
 * plus the updates after it, so at worst receipts are requested again, and the sender's
 * watermarks drop those repeats.
 */
public final class UserState {
  /** Highest update seq. */
  public long lastSeq;
  /** The messages this user wrote most recently: 1:1 sends by client id (idempotent {@code send}), and by msgId for receipts. */
  final RecentSends recentSends;
  /** Messages sent but not yet confirmed durable in the recipient's stream, per recipient, in order. */
  public final Map<String, ArrayDeque<Outgoing>> outbox = new HashMap<>();
  /** Per sender, the highest sender seq already in this stream: deliveries at or below it are repeats. */
  public final Map<String, Long> inboundHighWater = new HashMap<>();
  /** Incoming messages the client has not yet confirmed with {@code received}, by seq: the newest {@code unconfirmed-in-memory}. */
  public final TreeMap<Long, InRef> awaitingReceived = new TreeMap<>();
  /** The seqs between which unconfirmed messages were dropped from {@code awaitingReceived} (null: none): read back from the journal. */
  public SeqRange unconfirmedInJournal;
  /** Incoming messages not yet read, per conversation, by seq: the newest {@code unread-in-memory}. */
  public final Map<String, TreeMap<Long, InRef>> unread = new HashMap<>();
  /** Per conversation, the seqs between which unread messages were dropped from {@code unread}: read back from the journal. */
  public final Map<String, SeqRange> unreadInJournal = new HashMap<>();
  /** Receipts to hand to the senders, per sender, in order. */
  public final Map<String, ArrayDeque<ReceiptItem>> receiptOutbox = new HashMap<>();
  /** Disappearing-messages timer per conversation, in seconds (absent = permanent). */
  public final Map<String, Integer> disappearAfter = new HashMap<>();
  /** Temporary messages in this stream not yet expired, by expiry time. */
  public final TreeMap<Long, List<ExpiryRef>> expiries = new TreeMap<>();
  /** For messages this user sent: per (recipient, conversation) the highest own seq receipted as [delivered, read]. */
  public final Map<String, long[]> receiptWatermarks = new HashMap<>();

  public record OwnRef(String conversation, long receiptSeq) implements CborSerializable {}
  public record SentRef(String msgId, String conversation, long ts, long seq) implements CborSerializable {}
  /** A message (or, with {@code disappearAfterSeconds} set, a settings change) on its way to the peer. */
  public record Outgoing(String msgId, String clientId, long senderSeq, String conversation, long ts, String body, long expiresAt,
                         Integer disappearAfterSeconds) implements CborSerializable {}
  public record ExpiryRef(String conversation, String msgId) implements CborSerializable {}
  /** Seqs {@code from} to {@code to}, both included. */
  public record SeqRange(long from, long to) implements CborSerializable {
    /** {@code range} (null: none yet) grown to end at {@code seq}. */
    static SeqRange through(SeqRange range, long seq) {
      return new SeqRange(range == null ? seq : range.from(), seq);
    }

    /** What is left of {@code range} once everything up to {@code done} is handled; null when nothing. */
    static SeqRange after(SeqRange range, long done) {
      return range == null || done >= range.to() ? null : new SeqRange(Math.max(range.from(), done + 1), range.to());
    }
  }
  public record InRef(long seq, String msgId, String from, String conversation, long senderSeq) implements CborSerializable {}
  /** A receipt request to a sender: {@code msgSeq} is the message's seq in the SENDER's stream. */
  public record ReceiptItem(String msgId, String conversation, String status, long msgSeq) implements CborSerializable {}

  public UserState(int dedupWindow) {
    this(new RecentSends(dedupWindow));
  }

  private UserState(RecentSends recentSends) {
    this.recentSends = recentSends;
  }

  /** Who received and read one of this user's messages, from the receipt watermarks. */
  User.ReceiptReport receiptReport(String msgId) {
    OwnRef own = recentSends.own(msgId);
    if (own == null) return new User.ReceiptReport(false, null, List.of(), List.of());
    List<String> delivered = new ArrayList<>();
    List<String> read = new ArrayList<>();
    String suffix = "\n" + own.conversation();
    receiptWatermarks.forEach((key, marks) -> {
      if (!key.endsWith(suffix)) return;
      String by = key.substring(0, key.length() - suffix.length());
      if (marks[0] >= own.receiptSeq()) delivered.add(by);
      if (marks[1] >= own.receiptSeq()) read.add(by);
    });
    delivered.sort(null);
    read.sort(null);
    return new User.ReceiptReport(true, own.conversation(), delivered, read);
  }

  void addExpiry(long expiresAt, String conversation, String msgId) {
    expiries.computeIfAbsent(expiresAt, t -> new ArrayList<>(1)).add(new ExpiryRef(conversation, msgId));
  }

  /** Due expiries grouped by conversation (not removed: the Expired events do that). */
  Map<String, List<String>> dueExpiries(long now) {
    Map<String, List<String>> due = new java.util.LinkedHashMap<>();
    for (List<ExpiryRef> refs : expiries.headMap(now, true).values()) {
      for (ExpiryRef r : refs) due.computeIfAbsent(r.conversation(), c -> new ArrayList<>()).add(r.msgId());
    }
    return due;
  }

  void removeExpiries(List<String> msgIds) {
    java.util.Set<String> gone = new java.util.HashSet<>(msgIds);
    var it = expiries.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      e.getValue().removeIf(r -> gone.contains(r.msgId()));
      if (e.getValue().isEmpty()) it.remove();
    }
  }

  /** Remembers an unread message; past {@code keep} in its conversation the oldest moves to {@code unreadInJournal}. */
  void addUnread(InRef ref, int keep) {
    TreeMap<Long, InRef> inMemory = unread.computeIfAbsent(ref.conversation(), c -> new TreeMap<>());
    inMemory.put(ref.seq(), ref);
    if (inMemory.size() <= keep) return;
    long dropped = inMemory.pollFirstEntry().getKey();
    unreadInJournal.compute(ref.conversation(), (conversation, range) -> SeqRange.through(range, dropped));
  }

  /** Remembers an unconfirmed message; past {@code keep} the oldest moves to {@code unconfirmedInJournal}. */
  void addUnconfirmed(InRef ref, int keep) {
    awaitingReceived.put(ref.seq(), ref);
    if (awaitingReceived.size() <= keep) return;
    long dropped = awaitingReceived.pollFirstEntry().getKey();
    unconfirmedInJournal = SeqRange.through(unconfirmedInJournal, dropped);
  }

  void queueReceipt(InRef ref, String status) {
    receiptOutbox.computeIfAbsent(ref.from(), s -> new ArrayDeque<>())
        .addLast(new ReceiptItem(ref.msgId(), ref.conversation(), status, ref.senderSeq()));
  }

  static String watermarkKey(String by, String conversation) {
    return by + '\n' + conversation;
  }

  // ---------------------------------------------------------------- snapshots

  public record SentEntry(String clientId, SentRef ref) implements CborSerializable {}

  public record OwnEntry(String msgId, OwnRef ref) implements CborSerializable {}

  public record Snapshot(long lastSeq, List<SentEntry> sent, List<OwnEntry> own, Map<String, List<Outgoing>> outbox,
                         Map<String, Long> inboundHighWater, List<InRef> awaitingReceived, List<InRef> unread,
                         Map<String, List<ReceiptItem>> receiptOutbox, Map<String, long[]> receiptWatermarks,
                         Map<String, Integer> disappearAfter, Map<Long, List<ExpiryRef>> expiries,
                         Map<String, SeqRange> unreadInJournal, SeqRange unconfirmedInJournal)
      implements CborSerializable {}

  Snapshot toSnapshot() {
    Map<String, List<Outgoing>> outboxCopy = new HashMap<>();
    outbox.forEach((k, v) -> outboxCopy.put(k, List.copyOf(v)));
    List<InRef> unreadCopy = new ArrayList<>();
    unread.values().forEach(m -> unreadCopy.addAll(m.values()));
    Map<String, List<ReceiptItem>> receiptsCopy = new HashMap<>();
    receiptOutbox.forEach((k, v) -> receiptsCopy.put(k, List.copyOf(v)));
    Map<String, long[]> marksCopy = new HashMap<>();
    receiptWatermarks.forEach((k, v) -> marksCopy.put(k, v.clone()));
    return new Snapshot(lastSeq, recentSends.sentEntries(), recentSends.ownEntries(), outboxCopy, Map.copyOf(inboundHighWater),
        List.copyOf(awaitingReceived.values()), unreadCopy, receiptsCopy, marksCopy, Map.copyOf(disappearAfter),
        expiriesCopy(), Map.copyOf(unreadInJournal), unconfirmedInJournal);
  }

  private Map<Long, List<ExpiryRef>> expiriesCopy() {
    Map<Long, List<ExpiryRef>> copy = new HashMap<>();
    expiries.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    return copy;
  }

  static UserState fromSnapshot(Snapshot s, int dedupWindow) {
    UserState state = new UserState(RecentSends.restore(dedupWindow, s.sent(), s.own()));
    state.lastSeq = s.lastSeq();
    s.outbox().forEach((k, v) -> state.outbox.put(k, new ArrayDeque<>(v)));
    state.inboundHighWater.putAll(s.inboundHighWater());
    s.awaitingReceived().forEach(r -> state.awaitingReceived.put(r.seq(), r));
    s.unread().forEach(r -> state.unread.computeIfAbsent(r.conversation(), c -> new TreeMap<>()).put(r.seq(), r));
    s.receiptOutbox().forEach((k, v) -> state.receiptOutbox.put(k, new ArrayDeque<>(v)));
    s.receiptWatermarks().forEach((k, v) -> state.receiptWatermarks.put(k, v.clone()));
    if (s.disappearAfter() != null) state.disappearAfter.putAll(s.disappearAfter());
    if (s.expiries() != null) s.expiries().forEach((k, v) -> state.expiries.put(k, new ArrayList<>(v)));
    if (s.unreadInJournal() != null) state.unreadInJournal.putAll(s.unreadInJournal());
    state.unconfirmedInJournal = s.unconfirmedInJournal();
    return state;
  }
}
