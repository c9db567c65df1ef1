package chat.user;

import chat.CborSerializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
  /** Highest update seq, equal to the journal's sequence number (every event is an update). */
  public long lastSeq;
  /** Recent sends by client id, for idempotent {@code send}; oldest forgotten past the window. */
  public final LinkedHashMap<String, SentRef> sentByClientId;
  /** Messages sent but not yet confirmed durable in the recipient's stream, per recipient, in order. */
  public final Map<String, ArrayDeque<Outgoing>> outbox = new HashMap<>();
  /** Per sender, the highest sender seq already in this stream: deliveries at or below it are repeats. */
  public final Map<String, Long> inboundHighWater = new HashMap<>();
  /** Incoming messages the client has not yet confirmed with {@code received}, by seq. */
  public final TreeMap<Long, InRef> awaitingReceived = new TreeMap<>();
  /** Incoming messages not yet read, per conversation, by seq. */
  public final Map<String, TreeMap<Long, InRef>> unread = new HashMap<>();
  /** Receipts to hand to the senders, per sender, in order. */
  public final Map<String, ArrayDeque<ReceiptItem>> receiptOutbox = new HashMap<>();
  /** For messages this user sent: per (recipient, conversation) the highest own seq receipted as [delivered, read]. */
  public final Map<String, long[]> receiptWatermarks = new HashMap<>();

  public record SentRef(String msgId, String conversation, long ts, long seq) implements CborSerializable {}
  public record Outgoing(String msgId, String clientId, long senderSeq, String conversation, long ts, String body) implements CborSerializable {}
  public record InRef(long seq, String msgId, String from, String conversation, long senderSeq) implements CborSerializable {}
  /** A receipt request to a sender: {@code msgSeq} is the message's seq in the SENDER's stream. */
  public record ReceiptItem(String msgId, String conversation, String status, long msgSeq) implements CborSerializable {}

  public UserState(int dedupWindow) {
    this.sentByClientId = new LinkedHashMap<>(256, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, SentRef> eldest) {
        return size() > dedupWindow;
      }
    };
  }

  void rememberSent(String clientId, SentRef ref) {
    sentByClientId.put(clientId, ref);
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

  public record Snapshot(long lastSeq, List<SentEntry> sent, Map<String, List<Outgoing>> outbox,
                         Map<String, Long> inboundHighWater, List<InRef> awaitingReceived, List<InRef> unread,
                         Map<String, List<ReceiptItem>> receiptOutbox, Map<String, long[]> receiptWatermarks)
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
    List<SentEntry> sentCopy = new ArrayList<>(sentByClientId.size());
    sentByClientId.forEach((k, v) -> sentCopy.add(new SentEntry(k, v)));
    return new Snapshot(lastSeq, sentCopy, outboxCopy, Map.copyOf(inboundHighWater),
        List.copyOf(awaitingReceived.values()), unreadCopy, receiptsCopy, marksCopy);
  }

  static UserState fromSnapshot(Snapshot s, int dedupWindow) {
    UserState state = new UserState(dedupWindow);
    state.lastSeq = s.lastSeq();
    s.sent().forEach(e -> state.sentByClientId.put(e.clientId(), e.ref()));
    s.outbox().forEach((k, v) -> state.outbox.put(k, new ArrayDeque<>(v)));
    state.inboundHighWater.putAll(s.inboundHighWater());
    s.awaitingReceived().forEach(r -> state.awaitingReceived.put(r.seq(), r));
    s.unread().forEach(r -> state.unread.computeIfAbsent(r.conversation(), c -> new TreeMap<>()).put(r.seq(), r));
    s.receiptOutbox().forEach((k, v) -> state.receiptOutbox.put(k, new ArrayDeque<>(v)));
    s.receiptWatermarks().forEach((k, v) -> state.receiptWatermarks.put(k, v.clone()));
    return state;
  }
}
