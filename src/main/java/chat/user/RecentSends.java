package chat.user;

import chat.user.UserState.OwnEntry;
import chat.user.UserState.OwnRef;
import chat.user.UserState.SentEntry;
import chat.user.UserState.SentRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The newest messages a user wrote: its 1:1 sends (found by client id, so a resend gets the first
 * ack again) and its own group messages (found by msgId, with the 1:1 sends, for receipt reports).
 * At most {@code capacity} of them; the oldest is forgotten first. Each message is recorded once.
 *
 * <p>Flat arrays instead of two maps of records, because of what the garbage collector does with
 * them: an entry lives for the user's next {@code capacity} messages, minutes at chat rates, and
 * every young collection copies it until it is promoted. As maps that was two map entries, two
 * records and three strings per message, about 350 bytes in ten objects; here it is one
 * row of the arrays and the two id strings, with the conversation shared with the previous row
 * when it is the same. Rows are appended until the arrays hold {@code capacity}, then reused as a
 * ring; the arrays grow by doubling, so a user who wrote a few messages holds small ones.
 *
 * <p>Only the client id is indexed: every send looks it up. A msgId is looked up only when the user
 * asks who received a message (a REST call), so that scans the rows, comparing kept hashes first.
 */
final class RecentSends {
  private static final int INITIAL_ROWS = 8;
  private static final String[] NO_STRINGS = {};
  private static final int[] NO_INTS = {};
  private static final long[] NO_LONGS = {};

  private final int capacity;
  /** Row of the oldest message once the ring is full (before that, rows run from 0 to count - 1). */
  private int oldest;
  private int count;
  private String[] msgIds;
  private int[] msgIdHashes;
  /** Null for an own group message: its dedup is the group's. */
  private String[] clientIds;
  private String[] conversations;
  /** For a 1:1 send, when it was accepted (0 for an own group message). */
  private long[] timestamps;
  /** The seq receipts refer to: the send's seq in this user's stream, or the group's seq of an own group message. */
  private long[] seqs;
  private ClientIdIndex rowByClientId;

  RecentSends(int capacity) {
    this.capacity = Math.max(0, capacity);
    // nothing allocated until the first message: every online user has one, most send little
    msgIds = clientIds = conversations = NO_STRINGS;
    msgIdHashes = NO_INTS;
    timestamps = seqs = NO_LONGS;
    rowByClientId = ClientIdIndex.EMPTY;
  }

  int size() {
    return count;
  }

  /** Remembers a message this user wrote: a 1:1 send with its client id, or an own group message ({@code clientId} null). */
  void record(String msgId, String clientId, String conversation, long timestamp, long seq) {
    if (capacity == 0) return;
    String sharedConversation = shared(conversation);
    int row = nextRow();
    msgIds[row] = msgId;
    msgIdHashes[row] = msgId.hashCode();
    clientIds[row] = clientId;
    if (clientId != null) rowByClientId.put(clientIds, clientId, row);
    conversations[row] = sharedConversation;
    timestamps[row] = timestamp;
    seqs[row] = seq;
  }

  /**
   * {@code conversation}, or the equal string of the newest message here. A chat's messages then
   * share one string: in these rows, in the messages on their way, and in the recipient's unread
   * bookkeeping.
   */
  String shared(String conversation) {
    if (count == 0) return conversation;
    String newest = conversations[rowAt(count - 1)];
    return conversation.equals(newest) ? newest : conversation;
  }

  /** The 1:1 send with this client id, or null when it is not (or no longer) here. */
  SentRef sentWithClientId(String clientId) {
    if (clientId == null) return null;
    int row = rowByClientId.find(clientIds, clientId);
    return row < 0 ? null : new SentRef(msgIds[row], conversations[row], timestamps[row], seqs[row]);
  }

  /** The message with this msgId, if this user wrote it and it is still here; else null. */
  OwnRef own(String msgId) {
    int hash = msgId.hashCode();
    for (int i = count - 1; i >= 0; i--) {
      int row = rowAt(i);
      if (msgIdHashes[row] == hash && msgId.equals(msgIds[row])) return new OwnRef(conversations[row], seqs[row]);
    }
    return null;
  }

  // ---------------------------------------------------------------- snapshots (the format of the maps this replaced)

  /** Every message here, oldest first. */
  List<OwnEntry> ownEntries() {
    List<OwnEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int row = rowAt(i);
      entries.add(new OwnEntry(msgIds[row], new OwnRef(conversations[row], seqs[row])));
    }
    return entries;
  }

  /** The 1:1 sends here, oldest first. */
  List<SentEntry> sentEntries() {
    List<SentEntry> entries = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int row = rowAt(i);
      if (clientIds[row] != null) {
        entries.add(new SentEntry(clientIds[row], new SentRef(msgIds[row], conversations[row], timestamps[row], seqs[row])));
      }
    }
    return entries;
  }

  /**
   * Rebuilt from a snapshot: the messages of {@code own} in order, each 1:1 send with its client id
   * from {@code sent}. Snapshots taken before this class kept two windows, so a send may be in
   * {@code sent} only; those follow, in their order.
   */
  static RecentSends restore(int capacity, List<SentEntry> sent, List<OwnEntry> own) {
    Map<String, SentEntry> sendsByMsgId = new LinkedHashMap<>();
    for (SentEntry e : sent) sendsByMsgId.put(e.ref().msgId(), e);
    RecentSends recent = new RecentSends(capacity);
    for (OwnEntry e : own) {
      SentEntry send = sendsByMsgId.remove(e.msgId());
      if (send == null) recent.record(e.msgId(), null, e.ref().conversation(), 0, e.ref().receiptSeq());
      else recent.record(e.msgId(), send.clientId(), send.ref().conversation(), send.ref().ts(), send.ref().seq());
    }
    for (SentEntry e : sendsByMsgId.values()) recent.record(e.ref().msgId(), e.clientId(), e.ref().conversation(), e.ref().ts(), e.ref().seq());
    return recent;
  }

  // ---------------------------------------------------------------- rows

  private int rowAt(int i) {
    return (oldest + i) % msgIds.length;
  }

  /** A free row: appended while there is room, else the oldest message's, forgotten first. */
  private int nextRow() {
    if (count < capacity) {
      if (count == msgIds.length) grow();
      return count++;
    }
    int row = oldest;
    if (clientIds[row] != null) rowByClientId.remove(row);
    if (++oldest == msgIds.length) oldest = 0;
    return row;
  }

  /** Only called while the rows have not wrapped yet (count == length < capacity), so row order is kept. */
  private void grow() {
    String[] oldMsgIds = msgIds, oldClientIds = clientIds, oldConversations = conversations;
    int[] oldMsgIdHashes = msgIdHashes;
    long[] oldTimestamps = timestamps, oldSeqs = seqs;
    allocate(Math.min(capacity, Math.max(INITIAL_ROWS, oldMsgIds.length * 2)));
    System.arraycopy(oldMsgIds, 0, msgIds, 0, count);
    System.arraycopy(oldMsgIdHashes, 0, msgIdHashes, 0, count);
    System.arraycopy(oldClientIds, 0, clientIds, 0, count);
    System.arraycopy(oldConversations, 0, conversations, 0, count);
    System.arraycopy(oldTimestamps, 0, timestamps, 0, count);
    System.arraycopy(oldSeqs, 0, seqs, 0, count);
    for (int row = 0; row < count; row++) {
      if (clientIds[row] != null) rowByClientId.put(clientIds, clientIds[row], row);
    }
  }

  private void allocate(int rows) {
    msgIds = new String[rows];
    msgIdHashes = new int[rows];
    clientIds = new String[rows];
    conversations = new String[rows];
    timestamps = new long[rows];
    seqs = new long[rows];
    rowByClientId = new ClientIdIndex(rows);
  }

  // ---------------------------------------------------------------- index

  /**
   * Client id to row, open addressing with linear probing, at most half full. Each row's key hash is
   * kept here, so a probe compares ints and touches a key string only on a likely match: the strings
   * are scattered over the heap, and every send both misses a lookup and evicts a key.
   */
  private static final class ClientIdIndex {
    /** Finds nothing; never written to (rows come with an index of their own). */
    static final ClientIdIndex EMPTY = new ClientIdIndex(0);

    /** Row + 1 per slot; 0: empty. */
    private final int[] slots;
    /** The key's hash, by row. */
    private final int[] hashes;
    private final int mask;
    private final int shift;

    ClientIdIndex(int rows) {
      int tableSize = Integer.highestOneBit(Math.max(2, rows * 2 - 1)) << 1;
      slots = new int[tableSize];
      hashes = new int[rows];
      mask = tableSize - 1;
      shift = 32 - Integer.numberOfTrailingZeros(tableSize);
    }

    /** Fibonacci hashing: the top bits of the product, so nearby hashes land apart. */
    private int home(int hash) {
      return (hash * 0x9E3779B9) >>> shift;
    }

    int find(String[] keys, String key) {
      int hash = key.hashCode();
      for (int i = home(hash); ; i = (i + 1) & mask) {
        int row = slots[i] - 1;
        if (row < 0) return -1;
        if (hashes[row] == hash && key.equals(keys[row])) return row;
      }
    }

    /** Points {@code key} at {@code row}, replacing what it pointed at. */
    void put(String[] keys, String key, int row) {
      int hash = key.hashCode();
      int i = home(hash);
      // a key already present is found before the first empty slot of its probe run
      while (slots[i] != 0 && !(hashes[slots[i] - 1] == hash && key.equals(keys[slots[i] - 1]))) i = (i + 1) & mask;
      hashes[row] = hash;
      slots[i] = row + 1;
    }

    /** Removes the entry for {@code row} (if the key still points there); later entries of its probe run shift back, no tombstones. */
    void remove(int row) {
      int hole = home(hashes[row]);
      while (slots[hole] != row + 1) {
        if (slots[hole] == 0) return;
        hole = (hole + 1) & mask;
      }
      for (int i = (hole + 1) & mask; slots[i] != 0; i = (i + 1) & mask) {
        int home = home(hashes[slots[i] - 1]);
        // the entry at i may fill the hole unless its home lies cyclically in (hole, i]
        if (((i - home) & mask) >= ((i - hole) & mask)) {
          slots[hole] = slots[i];
          hole = i;
        }
      }
      slots[hole] = 0;
    }
  }
}
