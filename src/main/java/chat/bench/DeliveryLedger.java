package chat.bench;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The driver's books: per sender which of its messages were sent and acked, per (receiver, sender)
 * stream which arrived and in what order. Senders number their messages 0, 1, 2, ... so a bit set per
 * stream is enough to find duplicates and, at the end, the acked messages a receiver never got.
 *
 * <p>Callers on many threads: the sender's socket thread acks, each receiver's socket thread delivers,
 * the scheduler allocates. Every per-sender and per-stream record guards itself; the live totals are
 * atomics so progress lines and the drain check can read them without locking.
 */
final class DeliveryLedger {

    enum Delivery {
        /** First time this receiver got this message, and nothing later from the same sender came before it. */
        IN_ORDER,
        /** First time, but a later message of the same sender already arrived (order broken). */
        REORDERED,
        /** This receiver already had this message. */
        DUPLICATE,
        /** The sender is not someone this receiver should hear from. */
        UNEXPECTED
    }

    /** Final counts. {@code lost} counts (message, receiver) pairs: an acked message missing at one receiver. */
    record Tally(long sent, long acked, long unacked, long delivered, long duplicates, long reordered, long lost,
                 long deliveredWithoutAck) {
    }

    private static final class SenderLog {
        private long allocated;
        private long unsent;
        private final BitSet acked = new BitSet();

        synchronized long allocate() {
            return allocated++;
        }

        synchronized void unsent() {
            unsent++;
        }

        synchronized boolean ack(long seq) {
            if (seq < 0 || seq >= allocated || seq > Integer.MAX_VALUE || acked.get((int) seq)) {
                return false;
            }
            acked.set((int) seq);
            return true;
        }

        synchronized BitSet ackedCopy() {
            return (BitSet) acked.clone();
        }

        synchronized long sent() {
            return allocated - unsent;
        }
    }

    private static final class StreamLog {
        private final BitSet delivered = new BitSet();
        private long highest = -1;

        synchronized Delivery deliver(long seq) {
            if (seq < 0 || seq > Integer.MAX_VALUE) {
                return Delivery.UNEXPECTED;
            }
            if (delivered.get((int) seq)) {
                return Delivery.DUPLICATE;
            }
            delivered.set((int) seq);
            if (seq < highest) {
                return Delivery.REORDERED;
            }
            highest = seq;
            return Delivery.IN_ORDER;
        }

        synchronized BitSet deliveredCopy() {
            return (BitSet) delivered.clone();
        }
    }

    private final Topology topology;
    private final SenderLog[] senders;
    private final StreamLog[][] streams;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong reordered = new AtomicLong();
    private final AtomicLong unexpected = new AtomicLong();

    DeliveryLedger(int users, Topology topology) {
        this.topology = topology;
        this.senders = new SenderLog[users];
        this.streams = new StreamLog[users][];
        for (int u = 0; u < users; u++) {
            senders[u] = new SenderLog();
            int peers = topology.peers(u).length;
            streams[u] = new StreamLog[peers];
            for (int p = 0; p < peers; p++) {
                streams[u][p] = new StreamLog();
            }
        }
    }

    /** Reserves the sender's next sequence number; the message counts as sent unless {@link #unsent} follows. */
    long allocate(int sender) {
        sent.incrementAndGet();
        return senders[sender].allocate();
    }

    /** The message with a freshly allocated number never left the driver (its socket refused it). */
    void unsent(int sender) {
        sent.decrementAndGet();
        senders[sender].unsent();
    }

    /** @return true the first time this message is acked, false for repeats and unknown numbers */
    boolean ack(int sender, long seq) {
        if (sender < 0 || sender >= senders.length) {
            return false;
        }
        boolean first = senders[sender].ack(seq);
        if (first) {
            acked.incrementAndGet();
        }
        return first;
    }

    Delivery deliver(int receiver, int sender, long seq) {
        int slot = receiver >= 0 && receiver < streams.length ? topology.slot(receiver, sender) : -1;
        if (slot < 0) {
            unexpected.incrementAndGet();
            return Delivery.UNEXPECTED;
        }
        Delivery d = streams[receiver][slot].deliver(seq);
        switch (d) {
            case IN_ORDER -> delivered.incrementAndGet();
            case REORDERED -> {
                delivered.incrementAndGet();
                reordered.incrementAndGet();
            }
            case DUPLICATE -> duplicates.incrementAndGet();
            case UNEXPECTED -> unexpected.incrementAndGet();
        }
        return d;
    }

    long sentSoFar() {
        return sent.get();
    }

    long ackedSoFar() {
        return acked.get();
    }

    long deliveredSoFar() {
        return delivered.get();
    }

    long unexpectedSoFar() {
        return unexpected.get();
    }

    /** Acked (message, receiver) pairs not delivered yet; walks every stream, so call it sparingly. */
    long missing() {
        long missing = 0;
        for (int s = 0; s < senders.length; s++) {
            BitSet ackedBits = senders[s].ackedCopy();
            for (int r : topology.peers(s)) {
                BitSet gap = (BitSet) ackedBits.clone();
                gap.andNot(streams[r][topology.slot(r, s)].deliveredCopy());
                missing += gap.cardinality();
            }
        }
        return missing;
    }

    /** An acked message one receiver does not have. */
    record Missing(int sender, int receiver, long seq) {
    }

    /** Up to {@code limit} acked (message, receiver) pairs not delivered, for a human to chase. */
    java.util.List<Missing> missingExamples(int limit) {
        java.util.List<Missing> out = new java.util.ArrayList<>();
        for (int s = 0; s < senders.length && out.size() < limit; s++) {
            BitSet ackedBits = senders[s].ackedCopy();
            for (int r : topology.peers(s)) {
                BitSet gap = (BitSet) ackedBits.clone();
                gap.andNot(streams[r][topology.slot(r, s)].deliveredCopy());
                for (int k = gap.nextSetBit(0); k >= 0 && out.size() < limit; k = gap.nextSetBit(k + 1)) {
                    out.add(new Missing(s, r, k));
                }
            }
        }
        return out;
    }

    /** Messages of this sender that are sent but not acked. */
    long unackedBy(int sender) {
        SenderLog log = senders[sender];
        synchronized (log) {
            return log.sent() - log.acked.cardinality();
        }
    }

    /** Walks every stream; call once traffic has stopped. */
    Tally tally() {
        long sentTotal = 0;
        long ackedTotal = 0;
        long lost = 0;
        long deliveredWithoutAck = 0;
        for (int s = 0; s < senders.length; s++) {
            sentTotal += senders[s].sent();
            BitSet ackedBits = senders[s].ackedCopy();
            ackedTotal += ackedBits.cardinality();
            for (int r : topology.peers(s)) {
                BitSet got = streams[r][topology.slot(r, s)].deliveredCopy();
                BitSet missing = (BitSet) ackedBits.clone();
                missing.andNot(got);
                lost += missing.cardinality();
                got.andNot(ackedBits);
                deliveredWithoutAck += got.cardinality();
            }
        }
        return new Tally(sentTotal, ackedTotal, sentTotal - ackedTotal, delivered.get(), duplicates.get(),
                reordered.get(), lost, deliveredWithoutAck);
    }
}
