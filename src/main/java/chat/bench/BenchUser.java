package chat.bench;

import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated user: its account, its socket and what it knows about its update stream. Fields
 * marked "socket thread" are only touched while handling this user's incoming frames (one at a time)
 * and read by the run after the socket has closed.
 */
final class BenchUser {

    /** Where frames to the server go; a WebSocket in a run, a list in tests. */
    interface Outbox {
        /** @return false if the frame could not be queued (socket closed or its buffer full) */
        boolean offer(String frame);
    }

    final int index;
    final String userId;
    final String token;

    /** JSON string of this user's send target, e.g. {@code "user:b1u3"}, quoted and escaped. */
    volatile String targetJson;
    /** The peer's user name, for protocols that address users by name (XMPP). */
    volatile String targetUser;
    volatile Outbox outbox;
    volatile boolean open;
    /** Completes with hello's lastSeq once the server has greeted this socket. */
    final CompletableFuture<Long> hello = new CompletableFuture<>();

    /** Highest update seq seen; the receipt ticker confirms up to it with 'received'. */
    final AtomicLong maxSeq = new AtomicLong(0);
    /** Ticker thread only. */
    long reportedUpTo;
    /** Highest message seq per canonical conversation, for 'read'. */
    final Map<String, Long> lastMessageSeq = new ConcurrentHashMap<>();
    /** Ticker thread only. */
    final Map<String, Long> reportedRead = new ConcurrentHashMap<>();
    /** Ticker thread only. */
    long lastPingNanos;

    // socket thread
    long helloSeq = -1;
    final BitSet seenSeqs = new BitSet();
    boolean ackWithoutSeq;
    long lastGroupSeq = Long.MIN_VALUE;

    BenchUser(int index, String userId, String token) {
        this.index = index;
        this.userId = userId;
        this.token = token;
    }

    boolean send(String frame) {
        Outbox o = outbox;
        return open && o != null && o.offer(frame);
    }
}
