package chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The protocol logic of the driver, fed with server frames by hand (no sockets). */
class TrafficTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<List<String>> outboxes = new ArrayList<>();
    private BenchUser alice;
    private BenchUser bob;
    private Traffic traffic;

    @BeforeEach
    void setUp() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[] {"--url", "http://h:1", "--users", "2", "--run-id", "t1"});
        alice = user(0, "bt1u0");
        bob = user(1, "bt1u1");
        alice.targetJson = "\"user:bt1u1\"";
        bob.targetJson = "\"user:bt1u0\"";
        traffic = new Traffic(options, new Topology.Pairs(2), new BenchUser[] {alice, bob}, clock::get);
        traffic.epochNanos = clock.get();
        traffic.onFrame(alice, "{\"type\":\"hello\",\"userId\":\"bt1u0\",\"lastSeq\":10,\"serverTime\":1}");
        traffic.onFrame(bob, "{\"type\":\"hello\",\"userId\":\"bt1u1\",\"lastSeq\":0,\"serverTime\":1}");
    }

    private BenchUser user(int index, String name) {
        BenchUser u = new BenchUser(index, name, "tok" + index);
        List<String> box = new ArrayList<>();
        outboxes.add(box);
        u.outbox = box::add;
        u.open = true;
        return u;
    }

    private JsonNode lastSent(int user) throws Exception {
        List<String> box = outboxes.get(user);
        return JSON.readTree(box.get(box.size() - 1));
    }

    /** What the server would deliver to bob for alice's frame. */
    private String deliveryOf(JsonNode send, long seq, String msgId) {
        return "{\"type\":\"message\",\"seq\":" + seq + ",\"msgId\":\"" + msgId + "\",\"conversation\":\"dm:bt1u0:bt1u1\","
                + "\"from\":\"bt1u0\",\"ts\":5,\"body\":" + send.get("body") + "}";
    }

    private String ackOf(JsonNode send, long seq) {
        return "{\"type\":\"ack\",\"id\":\"" + send.get("id").asText() + "\",\"msgId\":\"x\",\"conversation\":\"dm:bt1u0:bt1u1\","
                + "\"ts\":5,\"seq\":" + seq + "}";
    }

    @Test
    void sendFramesFollowTheProtocol() throws Exception {
        assertTrue(traffic.send(alice, 0));
        JsonNode send = lastSent(0);
        assertEquals("send", send.get("type").asText());
        assertEquals("user:bt1u1", send.get("to").asText());
        assertTrue(send.get("body").get("text").isTextual());
        assertTrue(!send.get("id").asText().isEmpty());
    }

    @Test
    void deliveryAndAckAreMeasuredFromTheIntendedSendTime() throws Exception {
        traffic.send(alice, 0); // intended at epoch
        JsonNode send = lastSent(0);
        clock.addAndGet(7_000_000); // 7 ms later
        traffic.onFrame(alice, ackOf(send, 11));
        clock.addAndGet(5_000_000); // 12 ms after the intended time
        traffic.onFrame(bob, deliveryOf(send, 1, "m1"));

        assertEquals(7.0, LatencyRecorder.millisAt(traffic.ackLatency.total(), 50), 0.05);
        assertEquals(12.0, LatencyRecorder.millisAt(traffic.deliveryLatency.total(), 50), 0.05);
        DeliveryLedger.Tally t = traffic.ledger.tally();
        assertEquals(1, t.sent());
        assertEquals(1, t.acked());
        assertEquals(1, t.delivered());
        assertEquals(0, t.lost());
    }

    @Test
    void duplicatesReorderingAndLossAreCounted() throws Exception {
        List<JsonNode> sends = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            traffic.send(alice, i);
            sends.add(lastSent(0));
            traffic.onFrame(alice, ackOf(sends.get(i), 11 + i));
        }
        traffic.onFrame(bob, deliveryOf(sends.get(1), 1, "m2"));
        traffic.onFrame(bob, deliveryOf(sends.get(0), 2, "m1"));
        traffic.onFrame(bob, deliveryOf(sends.get(0), 3, "m1"));
        DeliveryLedger.Tally t = traffic.ledger.tally();
        assertEquals(2, t.delivered());
        assertEquals(1, t.reordered());
        assertEquals(1, t.duplicates());
        assertEquals(1, t.lost());
    }

    @Test
    void receiversConfirmWhatTheyHoldAndNothingTwice() throws Exception {
        traffic.send(alice, 0);
        JsonNode send = lastSent(0);
        traffic.onFrame(bob, deliveryOf(send, 4, "m1"));
        traffic.confirmUpdates(false);
        JsonNode received = lastSent(1);
        assertEquals("received", received.get("type").asText());
        assertEquals(4, received.get("upTo").asLong());
        int frames = outboxes.get(1).size();
        traffic.confirmUpdates(false);
        assertEquals(frames, outboxes.get(1).size(), "no new updates, no new 'received'");
    }

    @Test
    void serverErrorsAreCountedByCodeAndNotAsDeliveries() {
        traffic.onFrame(alice, "{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"slow down\"}");
        traffic.onFrame(alice, "not json");
        traffic.onFrame(alice, "{\"type\":\"surprise\"}");
        assertEquals(1L, traffic.errorKinds().get("server:rate_limited"));
        assertEquals(1L, traffic.errorKinds().get("protocol:not_json"));
        assertEquals(1L, traffic.errorKinds().get("protocol:unknown_frame_type:surprise"));
        assertEquals(0, traffic.ledger.tally().delivered());
    }

    @Test
    void messagesFromOtherRunsAreNotCountedAsDeliveries() {
        traffic.onFrame(bob, "{\"type\":\"message\",\"seq\":1,\"msgId\":\"o\",\"conversation\":\"dm:bt1u0:bt1u1\","
                + "\"from\":\"bt1u0\",\"ts\":1,\"body\":{\"text\":\"bench zz 0 0 0\"}}");
        assertEquals(0, traffic.ledger.tally().delivered());
        assertEquals(1L, traffic.errorKinds().get("protocol:message_not_from_this_run"));
    }

    @Test
    void gapsInTheUpdateStreamAreFoundWhenAcksCarrySeq() throws Exception {
        traffic.send(alice, 0);
        JsonNode send = lastSent(0);
        traffic.onFrame(alice, ackOf(send, 11));
        traffic.onFrame(alice, "{\"type\":\"receipt\",\"seq\":13,\"msgId\":\"x\",\"conversation\":\"dm:bt1u0:bt1u1\","
                + "\"status\":\"delivered\",\"by\":\"bt1u1\",\"ts\":2}");
        traffic.onFrame(bob, deliveryOf(send, 1, "m1"));
        assertEquals(1L, traffic.seqGaps(), "alice never saw seq 12");
        assertEquals(1, traffic.receiptsDelivered());
    }

    @Test
    void aSenderStillWaitingForAnAckIsNotJudgedForGaps() throws Exception {
        traffic.send(alice, 0);
        traffic.onFrame(alice, ackOf(lastSent(0), 11));
        traffic.send(alice, 1); // its ack (seq 12) is still on the way
        traffic.onFrame(alice, "{\"type\":\"receipt\",\"seq\":13,\"msgId\":\"x\",\"conversation\":\"dm:bt1u0:bt1u1\","
                + "\"status\":\"delivered\",\"by\":\"bt1u1\",\"ts\":2}");
        assertEquals(0L, traffic.seqGaps());
    }

    @Test
    void gapsCannotBeJudgedWhenAcksLackSeq() throws Exception {
        traffic.send(alice, 0);
        JsonNode send = lastSent(0);
        traffic.send(bob, 0);
        JsonNode fromBob = lastSent(1);
        traffic.onFrame(alice, "{\"type\":\"ack\",\"id\":\"" + send.get("id").asText() + "\",\"msgId\":\"x\",\"conversation\":\"c\",\"ts\":1}");
        traffic.onFrame(bob, "{\"type\":\"ack\",\"id\":\"" + fromBob.get("id").asText() + "\",\"msgId\":\"y\",\"conversation\":\"c\",\"ts\":1}");
        assertNull(traffic.seqGaps());
    }

    @Test
    void inWindowModeEveryAckSendsTheNextMessage() throws Exception {
        traffic.refilling = true;
        traffic.send(alice, 0);
        int before = outboxes.get(0).size();
        traffic.onFrame(alice, ackOf(lastSent(0), 11));
        assertEquals(before + 1, outboxes.get(0).size());
        assertEquals("send", lastSent(0).get("type").asText());
        traffic.onFrame(alice, ackOf(JSON.readTree(outboxes.get(0).get(before - 1)), 11));
        assertEquals(before + 1, outboxes.get(0).size(), "a repeated ack does not widen the window");
    }

    @Test
    void anAckForAnotherRunsIdDoesNotCountAsOurs() throws Exception {
        traffic.send(alice, 0);
        String ours = lastSent(0).get("id").asText();
        String theirs = "other" + ours.substring(ours.indexOf('.'));
        traffic.onFrame(alice, "{\"type\":\"ack\",\"id\":\"" + theirs + "\",\"msgId\":\"x\",\"conversation\":\"c\",\"ts\":1,\"seq\":11}");
        assertEquals(0, traffic.ledger.tally().acked());
        assertEquals(1L, traffic.errorKinds().get("protocol:ack_for_unknown_id"));
    }

    @Test
    void aFullSendBufferIsAnErrorNotASend() {
        alice.outbox = frame -> false;
        assertTrue(!traffic.send(alice, 0));
        assertEquals(0, traffic.ledger.tally().sent());
        assertEquals(1L, traffic.errorKinds().get("driver:send_buffer_full"));
    }
}
