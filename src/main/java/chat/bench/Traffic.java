package chat.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The client side of the protocol for all simulated users: sends messages, reads every server frame,
 * confirms updates with 'received' (and optionally 'read') like a real client, and books everything
 * in the {@link DeliveryLedger} and latency recorders.
 *
 * <p>Times: {@code epochNanos} is the start of the load phase; intended send times are nanoseconds
 * after it. Only messages whose intended send time falls in the measurement window
 * [{@code measureFromNanos}, {@code measureUntilNanos}) feed latencies and rates; correctness counts
 * (loss, duplicates, order) cover every message, warm-up included.
 */
final class Traffic {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A real client pings now and then; servers may treat long-silent sockets as dead. */
    private static final long PING_EVERY_NANOS = 30_000_000_000L;
    /** Larger jumps in seq would make the gap bitmap huge; such a stream is reported as a gap source anyway. */
    private static final long MAX_TRACKED_SEQ_SPAN = 64_000_000L;

    private final BenchOptions options;
    private final BenchUser[] users;
    private final LongSupplier clock;
    final DeliveryLedger ledger;
    final LatencyRecorder deliveryLatency = new LatencyRecorder();
    final LatencyRecorder ackLatency = new LatencyRecorder();

    volatile long epochNanos;
    volatile long measureFromNanos;
    volatile long measureUntilNanos = Long.MAX_VALUE;
    /** While true (window mode) every ack lets its sender send the next message. */
    volatile boolean refilling;

    private final AtomicLong measuredAcked = new AtomicLong();
    private final AtomicLong measuredDelivered = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong receiptsDelivered = new AtomicLong();
    private final AtomicLong receiptsRead = new AtomicLong();
    private final AtomicLong groupOrderViolations = new AtomicLong();
    private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    /** Null unless the run speaks XMPP to a reference server. */
    final XmppClient xmpp;

    Traffic(BenchOptions options, Topology topology, BenchUser[] users, LongSupplier clock) {
        this.options = options;
        this.users = users;
        this.clock = clock;
        this.ledger = new DeliveryLedger(users.length, topology);
        this.xmpp = options.protocol() == BenchOptions.Protocol.XMPP
                ? new XmppClient(options.xmppDomain(), options.password(), users.length,
                        options.mode() == BenchOptions.Mode.GROUP, this::error)
                : null;
    }

    // ---- sending ----------------------------------------------------------------------------------

    /**
     * Sends the sender's next message, stamped with its intended send time.
     *
     * @return false if it could not leave the driver (counted as an error, not as sent)
     */
    boolean send(BenchUser sender, long intendedNanos) {
        if (!sender.open) {
            error("driver:send_on_closed_socket");
            return false;
        }
        // Numbering and writing are one step per sender: the window's first fill and the refills that
        // acks trigger run on different threads, and a frame overtaking a lower number would count as
        // a reordering the server never made.
        synchronized (sender) {
            long seq = ledger.allocate(sender.index);
            String id = Payload.clientId(options.runId(), seq, intendedNanos);
            String text = Payload.text(options.runId(), sender.index, seq, intendedNanos, options.bodyBytes());
            String frame = xmpp != null
                    ? xmpp.message(sender.targetUser, id, text)
                    : "{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":" + sender.targetJson + ",\"body\":{\"text\":\"" + text + "\"}}";
            if (!sender.send(frame)) {
                ledger.unsent(sender.index);
                error("driver:send_buffer_full");
                return false;
            }
            if (xmpp != null && ledger.ack(sender.index, seq) && measured(intendedNanos)) {
                measuredAcked.incrementAndGet(); // no acks in XMPP: on the wire is as far as the sender can know
            }
            return true;
        }
    }

    long nowNanos() {
        return clock.getAsLong() - epochNanos;
    }

    // ---- receiving --------------------------------------------------------------------------------

    /** Handles one text frame the server sent to {@code user}. Called on that user's socket thread. */
    void onFrame(BenchUser user, String text) {
        long receivedAt = nowNanos();
        if (xmpp != null) {
            XmppClient.Stanza message = xmpp.onFrame(user, text);
            if (message != null) {
                onXmppMessage(user, message, receivedAt);
            }
            return;
        }
        JsonNode frame;
        try {
            frame = JSON.readTree(text);
        } catch (IOException e) {
            error("protocol:not_json");
            return;
        }
        if (frame == null || !frame.isObject()) {
            error("protocol:not_an_object");
            return;
        }
        JsonNode seqNode = frame.get("seq");
        String type = frame.path("type").asText("");
        if (seqNode != null && seqNode.canConvertToLong()) {
            noteSeq(user, seqNode.asLong());
        }
        switch (type) {
            case "hello" -> {
                long last = frame.path("lastSeq").asLong(0);
                user.helloSeq = last;
                user.maxSeq.accumulateAndGet(last, Math::max);
                user.hello.complete(last);
            }
            case "message" -> onMessage(user, frame, seqNode, receivedAt);
            case "ack" -> onAck(user, frame, seqNode, receivedAt);
            case "receipt" -> {
                switch (frame.path("status").asText("")) {
                    case "delivered" -> receiptsDelivered.incrementAndGet();
                    case "read" -> receiptsRead.incrementAndGet();
                    default -> error("protocol:receipt_status_unknown");
                }
            }
            case "failed" -> {
                failed.incrementAndGet();
                error("server:failed:" + frame.path("reason").asText("?"));
            }
            case "error" -> onError(user, frame);
            case "pong", "presence", "typing", "group", "settings", "expired" -> { }
            default -> error("protocol:unknown_frame_type:" + type);
        }
    }

    private void noteSeq(BenchUser user, long seq) {
        user.maxSeq.accumulateAndGet(seq, Math::max);
        if (user.helloSeq >= 0 && seq > user.helloSeq) {
            long offset = seq - user.helloSeq - 1;
            if (offset < MAX_TRACKED_SEQ_SPAN) {
                user.seenSeqs.set((int) offset);
            }
        }
    }

    private void onMessage(BenchUser user, JsonNode frame, JsonNode seqNode, long receivedAt) {
        String from = frame.path("from").asText("");
        if (from.equals(user.userId)) {
            return; // our own message echoed to this socket: not a delivery
        }
        JsonNode groupSeq = frame.get("groupSeq");
        if (groupSeq != null && groupSeq.canConvertToLong()) {
            long g = groupSeq.asLong();
            if (g <= user.lastGroupSeq) {
                groupOrderViolations.incrementAndGet();
            }
            user.lastGroupSeq = Math.max(user.lastGroupSeq, g);
        }
        String conversation = frame.path("conversation").asText("");
        if (seqNode != null && seqNode.canConvertToLong() && !conversation.isEmpty()) {
            user.lastMessageSeq.merge(conversation, seqNode.asLong(), Math::max);
        }
        if (frame.path("expired").asBoolean(false)) {
            return;
        }
        book(user, from, frame.path("body").path("text").asText(null), receivedAt);
    }

    private void onXmppMessage(BenchUser user, XmppClient.Stanza message, long receivedAt) {
        if (message.attribute("type").equals("error")) {
            error("xmpp:message_error:" + message.errorCondition());
            return;
        }
        if (message.body() == null) {
            return; // chat states and the like: not a message
        }
        String author = XmppClient.author(message);
        if (message.attribute("type").equals("groupchat")) {
            if (author.equals(user.userId)) {
                refill(user); // the room reflected this sender's message: as close to an ack as XMPP gets
                return;
            }
            book(user, author, message.body(), receivedAt);
            return;
        }
        Payload.Text delivered = book(user, author, message.body(), receivedAt);
        if (delivered != null) {
            refill(users[delivered.sender()]); // no acks in XMPP: an arrival frees a place in the sender's window
        }
    }

    /**
     * Books one delivery to {@code user} of a message whose text the driver wrote.
     *
     * @return the decoded text the first time this message arrives, null for repeats and strangers
     */
    private Payload.Text book(BenchUser user, String from, String text, long receivedAt) {
        Payload.Text payload = Payload.parseText(text);
        if (payload == null || !payload.runId().equals(options.runId())) {
            error("protocol:message_not_from_this_run");
            return null;
        }
        if (payload.sender() < 0 || payload.sender() >= users.length
                || !users[payload.sender()].userId.equals(from)) {
            error("protocol:message_from_does_not_match_body");
            return null;
        }
        DeliveryLedger.Delivery d = ledger.deliver(user.index, payload.sender(), payload.seq());
        boolean first = d == DeliveryLedger.Delivery.IN_ORDER || d == DeliveryLedger.Delivery.REORDERED;
        if (first && measured(payload.intendedNanos())) {
            measuredDelivered.incrementAndGet();
            deliveryLatency.recordNanos(receivedAt - payload.intendedNanos());
        }
        if (d == DeliveryLedger.Delivery.UNEXPECTED) {
            error("protocol:message_from_non_peer");
        }
        return first ? payload : null;
    }

    private void onAck(BenchUser user, JsonNode frame, JsonNode seqNode, long receivedAt) {
        if (seqNode == null) {
            user.ackWithoutSeq = true;
        }
        Payload.ClientId id = Payload.parseClientId(frame.path("id").asText(null));
        if (id == null || !id.runId().equals(options.runId())) {
            error("protocol:ack_for_unknown_id");
            return;
        }
        if (!ledger.ack(user.index, id.seq())) {
            return; // a repeated ack is allowed (idempotent resend); nothing new
        }
        if (measured(id.intendedNanos())) {
            measuredAcked.incrementAndGet();
            ackLatency.recordNanos(receivedAt - id.intendedNanos());
        }
        refill(user);
    }

    private void onError(BenchUser user, JsonNode frame) {
        String code = frame.path("code").asText("?");
        error("server:" + code);
        Payload.ClientId id = Payload.parseClientId(frame.path("id").asText(null));
        if (id != null && id.runId().equals(options.runId())) {
            rejected.incrementAndGet();
            refill(user);
        }
    }

    private void refill(BenchUser user) {
        if (refilling) {
            send(user, nowNanos());
        }
    }

    private boolean measured(long intendedNanos) {
        return intendedNanos >= measureFromNanos && intendedNanos < measureUntilNanos;
    }

    // ---- what a client confirms ------------------------------------------------------------------

    /** Confirms, for every open socket, the updates it got since the last call. Called from one thread. */
    void confirmUpdates(boolean force) {
        if (xmpp != null) {
            return; // nothing to confirm; the server pings idle sockets itself
        }
        long now = clock.getAsLong();
        for (BenchUser u : users) {
            if (u == null || !u.open) {
                continue;
            }
            long upTo = u.maxSeq.get();
            if (upTo > u.reportedUpTo || (force && upTo > 0)) {
                if (u.send("{\"type\":\"received\",\"upTo\":" + upTo + "}")) {
                    u.reportedUpTo = upTo;
                }
            }
            if (options.sendRead()) {
                for (Map.Entry<String, Long> e : u.lastMessageSeq.entrySet()) {
                    Long done = u.reportedRead.get(e.getKey());
                    if (done == null || e.getValue() > done) {
                        ObjectNode read = JSON.createObjectNode().put("type", "read").put("conversation", e.getKey())
                                .put("upTo", e.getValue());
                        if (u.send(read.toString())) {
                            u.reportedRead.put(e.getKey(), e.getValue());
                        }
                    }
                }
            }
            if (now - u.lastPingNanos >= PING_EVERY_NANOS) {
                if (u.lastPingNanos != 0) {
                    u.send("{\"type\":\"ping\"}");
                }
                u.lastPingNanos = now;
            }
        }
    }

    // ---- results ----------------------------------------------------------------------------------

    void error(String kind) {
        errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    Map<String, Long> errorKinds() {
        Map<String, Long> out = new TreeMap<>();
        errorKinds.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    long errorCount() {
        return errorKinds.values().stream().mapToLong(LongAdder::sum).sum();
    }

    long measuredAcked() {
        return measuredAcked.get();
    }

    long measuredDelivered() {
        return measuredDelivered.get();
    }

    long rejected() {
        return rejected.get();
    }

    long failed() {
        return failed.get();
    }

    long receiptsDelivered() {
        return receiptsDelivered.get();
    }

    long receiptsRead() {
        return receiptsRead.get();
    }

    long groupOrderViolations() {
        return groupOrderViolations.get();
    }

    /** Messages sent but neither acked nor rejected yet. */
    long outstanding() {
        return ledger.sentSoFar() - ledger.ackedSoFar() - rejected.get();
    }

    /**
     * Missing seqs in the streams seen since hello, summed over users; null when it cannot be judged
     * because the server's acks carry no seq (then the sender's own messages, which are updates in its
     * stream, never reach this socket and would look like gaps). Users still waiting for an ack are
     * skipped: the seq of that ack is missing only because it has not arrived yet.
     */
    Long seqGaps() {
        long gaps = 0;
        boolean judged = false;
        for (BenchUser u : users) {
            if (u == null || u.helloSeq < 0 || u.ackWithoutSeq || ledger.unackedBy(u.index) > 0) {
                continue;
            }
            judged = true;
            gaps += u.seenSeqs.length() - u.seenSeqs.cardinality();
        }
        return judged ? gaps : null;
    }
}
