package chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The driver's XMPP side, fed with what ejabberd 23.01 sends over its WebSocket (no sockets). */
class XmppClientTest {

    private static final String FEATURES_BEFORE_AUTH = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
            + "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
            + "<register xmlns='http://jabber.org/features/iq-register'/></stream:features>";
    private static final String FEATURES_AFTER_AUTH = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
            + "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'>"
            + "<optional/></session></stream:features>";

    private final List<String> sent = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final XmppClient client = new XmppClient("localhost", "bench-pass-1", 2, false, errors::add);

    private BenchUser user() {
        BenchUser u = new BenchUser(0, "xu0", null);
        u.outbox = sent::add;
        u.open = true;
        return u;
    }

    @Test
    void registersLogsInBindsAndOnlyThenSaysHello() {
        BenchUser u = user();
        client.start(u);
        assertTrue(sent.get(0).startsWith("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost'"));
        assertNull(client.onFrame(u, "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='1' version='1.0' from='localhost'/>"));
        client.onFrame(u, FEATURES_BEFORE_AUTH);
        assertTrue(sent.get(1).contains("<query xmlns='jabber:iq:register'><username>xu0</username>"), sent.get(1));

        // an account left by an earlier run is no reason to stop
        client.onFrame(u, "<iq xmlns='jabber:client' type='error' id='reg'><query xmlns='jabber:iq:register'/>"
                + "<error code='409' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
        String auth = sent.get(2);
        assertTrue(auth.startsWith("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"), auth);
        String credentials = auth.substring(auth.indexOf('>') + 1, auth.indexOf("</auth>"));
        assertEquals("\0xu0\0bench-pass-1", new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8));

        client.onFrame(u, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        assertTrue(sent.get(3).startsWith("<open "), "the stream restarts after SASL");
        client.onFrame(u, FEATURES_AFTER_AUTH);
        assertTrue(sent.get(4).contains("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource>"));
        assertFalse(u.hello.isDone());

        client.onFrame(u, "<iq xmlns='jabber:client' type='result' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                + "<jid>xu0@localhost/bench</jid></bind></iq>");
        assertEquals("<presence xmlns='jabber:client'/>", sent.get(5));
        assertEquals(0L, u.hello.join());
        assertEquals(List.of(), errors);
    }

    @Test
    void aRefusedLoginFailsTheConnectionWithTheReason() {
        BenchUser u = user();
        client.start(u);
        client.onFrame(u, FEATURES_BEFORE_AUTH);
        client.onFrame(u, "<iq xmlns='jabber:client' type='result' id='reg'/>");
        client.onFrame(u, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
        assertTrue(u.hello.isCompletedExceptionally());
    }

    @Test
    void messagesComeBackAsTheyWereSentWithOrWithoutTheParser() throws Exception {
        String text = "bench r1 0 7 123 <&>'\"";
        String wire = client.message("xu1", "r1.7.123", text);
        assertTrue(wire.startsWith("<message xmlns='jabber:client' to='xu1@localhost/bench' id='r1.7.123' type='chat'>"), wire);

        // what the server delivers: the same stanza with a from, in either quoting style
        String delivered = wire.replace("<message ", "<message from=\"xu0@localhost/bench\" ");
        XmppClient.Stanza fast = XmppClient.plainMessage(delivered);
        XmppClient.Stanza parsed = XmppClient.parse(delivered);
        for (XmppClient.Stanza s : List.of(fast, parsed)) {
            assertEquals("message", s.name());
            assertEquals(text, s.body());
            assertEquals("xu0", XmppClient.localpart(s.attribute("from")));
            assertEquals("chat", s.attribute("type"));
        }
    }

    @Test
    void unusualMessagesGoThroughTheParser() {
        assertNull(XmppClient.plainMessage("<message from='a@h/r' type='error'><body>x</body><error type='cancel'>"
                + "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"));
        assertNull(XmppClient.plainMessage("<message from='a@h/r'><body xml:lang='en'>x</body></message>"));
        assertNull(XmppClient.plainMessage("<message from='a@h/r'><body><![CDATA[x]]></body></message>"));
        assertNull(XmppClient.plainMessage("<message from='a@h/r'><body>&#65;</body></message>"));
    }

    @Test
    void anErrorMessageIsCountedNotDelivered() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[] {
                "--url", "http://h:1", "--users", "2", "--run-id", "t1", "--protocol", "xmpp"});
        BenchUser alice = new BenchUser(0, "bt1u0", null);
        BenchUser bob = new BenchUser(1, "bt1u1", null);
        List<String> toServer = new ArrayList<>();
        for (BenchUser u : List.of(alice, bob)) {
            u.outbox = toServer::add;
            u.open = true;
        }
        alice.targetUser = "bt1u1";
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        Traffic traffic = new Traffic(options, new Topology.Pairs(2), new BenchUser[] {alice, bob}, clock::get);
        traffic.epochNanos = clock.get();

        assertTrue(traffic.send(alice, 0));
        String wire = toServer.get(toServer.size() - 1);
        assertEquals(1, traffic.ledger.ackedSoFar(), "on the wire counts as acked: XMPP has no acks");

        traffic.onFrame(alice, "<message from='bt1u1@localhost/bench' type='error'><body>x</body><error type='cancel'>"
                + "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
        assertEquals(0, traffic.ledger.deliveredSoFar());
        assertEquals(1L, traffic.errorKinds().get("xmpp:message_error:service-unavailable"));

        clock.addAndGet(3_000_000);
        traffic.onFrame(bob, wire.replace("<message ", "<message from='bt1u0@localhost/bench' "));
        assertEquals(1, traffic.ledger.deliveredSoFar());
        assertEquals(0, traffic.ledger.tally().lost());
    }

    @Test
    void groupMembersJoinTheirRoomBeforeTheySayHelloAndPostToIt() throws Exception {
        BenchOptions options = BenchOptions.parse(new String[] {
                "--url", "http://h:1", "--mode", "group", "--users", "3", "--group-size", "3", "--run-id", "t1",
                "--protocol", "xmpp"});
        BenchUser[] members = new BenchUser[3];
        List<String> toServer = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            members[i] = new BenchUser(i, "bt1u" + i, null);
            members[i].outbox = toServer::add;
            members[i].open = true;
            members[i].targetUser = "t1-g0";
        }
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        Traffic traffic = new Traffic(options, new Topology.Groups(3, 3), members, clock::get);
        traffic.epochNanos = clock.get();
        BenchUser carol = members[2];

        traffic.xmpp.start(carol);
        traffic.onFrame(carol, FEATURES_BEFORE_AUTH);
        traffic.onFrame(carol, "<iq xmlns='jabber:client' type='result' id='reg'/>");
        traffic.onFrame(carol, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        traffic.onFrame(carol, FEATURES_AFTER_AUTH);
        traffic.onFrame(carol, "<iq xmlns='jabber:client' type='result' id='bind'/>");
        String join = toServer.get(toServer.size() - 1);
        assertTrue(join.startsWith("<presence xmlns='jabber:client' to='t1-g0@conference.localhost/bt1u2'>"), join);
        // the room lists who is there, then the joiner itself
        traffic.onFrame(carol, "<presence from='t1-g0@conference.localhost/bt1u0'><x xmlns='http://jabber.org/protocol/muc#user'>"
                + "<item affiliation='owner' role='moderator'/></x></presence>");
        assertFalse(carol.hello.isDone(), "someone else's presence is not the join");
        traffic.onFrame(carol, "<presence from='t1-g0@conference.localhost/bt1u2'><x xmlns='http://jabber.org/protocol/muc#user'>"
                + "<item affiliation='none' role='participant'/><status code='110'/></x></presence>");
        assertEquals(0L, carol.hello.join());
        traffic.onFrame(carol, "<message from='t1-g0@conference.localhost' type='groupchat'><subject/></message>");

        BenchUser alice = members[0];
        assertTrue(traffic.send(alice, 0));
        String post = toServer.get(toServer.size() - 1);
        assertTrue(post.startsWith("<message xmlns='jabber:client' to='t1-g0@conference.localhost' id='"), post);
        assertTrue(post.contains("type='groupchat'"), post);
        String fromRoom = post.replace("<message ", "<message from='t1-g0@conference.localhost/bt1u0' ");
        clock.addAndGet(4_000_000);
        traffic.onFrame(carol, fromRoom);
        traffic.onFrame(alice, fromRoom); // the room reflects the post to its author: not a delivery
        assertEquals(1, traffic.ledger.deliveredSoFar());
        assertEquals(Map.of(), traffic.errorKinds());
    }
}
