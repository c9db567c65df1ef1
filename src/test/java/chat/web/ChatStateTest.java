package chat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's protocol bookkeeping (web/js/chat-state.js) run in the real browser engine, without
 * a Parley server: frames are fed in by hand and the frames it sends are checked. The module is
 * served from the class path exactly as the node serves it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatStateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Test helpers defined in the page before each scenario. */
  private static final String PRELUDE = """
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      function memoryStorage() {
        const map = new Map();
        return { getItem: (k) => (map.has(k) ? map.get(k) : null), setItem: (k, v) => map.set(k, String(v)), removeItem: (k) => map.delete(k) };
      }
      function harness({ storage = memoryStorage(), server = [] } = {}) {
        const sent = [];
        let open = true;
        const state = new ChatState({
          userId: 'alice', storage,
          send: (frame) => { if (!open) return false; sent.push(frame); return true; },
          fetchUpdates: async (after) => ({ updates: server.filter((u) => u.seq > after), lastSeq: server.length, more: false }),
        });
        return { state, sent, storage, setOpen: (value) => { open = value; } };
      }
      const msg = (seq, from, text, extra = {}) => ({ type: 'message', seq, msgId: `m${seq}`, conversation: 'dm:alice:bob',
        from, ts: 1700000000000 + seq, body: { text }, ...extra });
      const texts = (state, id = 'dm:alice:bob') => state.conversations.get(id).items.filter((i) => i.kind === 'message').map((i) => i.body.text);
      const ofType = (sent, type) => sent.filter((f) => f.type === type);
      """;

  @TempDir static Path work;
  private HttpServer files;
  private Browser browser;

  @BeforeAll
  void start() throws IOException {
    assumeTrue(Files.isExecutable(Browser.CHROMIUM) && Files.isExecutable(Browser.CHROMEDRIVER),
        "needs Debian's chromium and chromium-driver");
    files = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    files.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      byte[] body;
      String type;
      if (path.equals("/")) {
        body = "<!doctype html><title>state</title><link rel=icon href=data:,>".getBytes(StandardCharsets.UTF_8);
        type = "text/html";
      } else {
        try (InputStream in = ChatStateTest.class.getResourceAsStream("/web" + path)) {
          body = in == null ? null : in.readAllBytes();
        }
        type = path.endsWith(".js") ? "text/javascript" : "application/octet-stream";
      }
      if (body == null) {
        exchange.sendResponseHeaders(404, -1);
      } else {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    });
    files.start();
    browser = new Browser("state", work.resolve("profile"), 800, 600);
    browser.driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(15));
    browser.open("http://127.0.0.1:" + files.getAddress().getPort() + "/");
  }

  @AfterAll
  void stop() {
    if (browser != null) browser.close();
    if (files != null) files.stop(0);
  }

  /** Runs an async scenario body (which ends with `return {...}`) and hands back its result. */
  private JsonNode run(String scenario) throws IOException {
    Object result = browser.driver.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        import('/js/chat-state.js').then(async ({ ChatState }) => {
          %s
          const scenario = async () => { %s };
          return JSON.stringify(await scenario());
        }).then(done, (e) => done(JSON.stringify({ error: String(e && e.stack || e) })));
        """.formatted(PRELUDE, scenario));
    JsonNode json = JSON.readTree((String) result);
    assertTrue(json.path("error").isMissingNode(), () -> "scenario failed in the browser: " + json.path("error").asText());
    return json;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(node -> out.add(node.isTextual() ? node.asText() : node.toString()));
    return out;
  }

  @Test
  void updatesAreAppliedOnceAndInOrderAndReceivedCoversOnlyTheContiguousPrefix() throws IOException {
    JsonNode result = run("""
        const { state, sent } = harness();
        state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        state.receive(msg(1, 'bob', 'one'));
        state.receive(msg(3, 'bob', 'three'));
        await sleep(400);
        const receivedWithGap = ofType(sent, 'received').map((f) => f.upTo);
        state.receive(msg(2, 'bob', 'two'));
        state.receive(msg(2, 'bob', 'two'));
        state.receive(msg(1, 'bob', 'one'));
        await sleep(400);
        return { sync: ofType(sent, 'sync'), receivedWithGap, received: ofType(sent, 'received').map((f) => f.upTo),
          texts: texts(state), lastSeq: state.lastSeq };
        """);
    assertEquals("[{\"type\":\"sync\",\"after\":0}]", result.get("sync").toString(), "hello is answered with sync from the last seq held");
    assertEquals(List.of("1"), strings(result.get("receivedWithGap")), "seq 3 is not confirmed while 2 is missing");
    assertEquals(List.of("one", "two", "three"), strings(result.get("texts")), "each message once, in stream order");
    assertEquals(List.of("1", "3"), strings(result.get("received")));
    assertEquals(3, result.get("lastSeq").asInt());
  }

  @Test
  void aGapThatDoesNotCloseByItselfIsFilledFromTheRestStream() throws IOException {
    JsonNode result = run("""
        const server = [msg(1, 'bob', 'one'), msg(2, 'bob', 'two'), msg(3, 'bob', 'three')];
        const { state } = harness({ server });
        state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        state.receive(server[0]);
        state.receive(server[2]);
        await sleep(2000);
        return { texts: texts(state), lastSeq: state.lastSeq };
        """);
    assertEquals(List.of("one", "two", "three"), strings(result.get("texts")));
    assertEquals(3, result.get("lastSeq").asInt());
  }

  @Test
  void aMessageWrittenOfflineSurvivesAReloadAndGoesOutWithItsOriginalIdExactlyOnce() throws IOException {
    JsonNode result = run("""
        const storage = memoryStorage();
        const first = harness({ storage });
        first.setOpen(false);
        const id = first.state.sendText(first.state.directWith('bob'), 'written offline');
        const sentWhileOffline = first.sent.length;
        // the page is reloaded: a new state over the same storage, then the socket comes back
        const second = harness({ storage });
        const pendingAfterReload = texts(second.state);
        second.state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        const resent = ofType(second.sent, 'send');
        second.state.receive({ type: 'ack', id, msgId: 'm1', conversation: 'dm:alice:bob', ts: 1700000000001, seq: 1 });
        // a second connection resends nothing and the stream's copy of the message is not shown twice
        second.state.disconnected();
        second.state.receive({ type: 'hello', userId: 'alice', lastSeq: 1 });
        second.state.receive(msg(1, 'alice', 'written offline'));
        const item = second.state.conversations.get('dm:alice:bob').items[0];
        return { id, sentWhileOffline, pendingAfterReload, resent, texts: texts(second.state), status: item.status,
          sendsAfterAck: ofType(second.sent, 'send').length, outbox: second.state.outbox.length, stored: storage.getItem('parley.v1.alice.outbox') };
        """);
    assertEquals(0, result.get("sentWhileOffline").asInt());
    assertEquals(List.of("written offline"), strings(result.get("pendingAfterReload")), "the queued message is still shown after a reload");
    assertEquals(1, result.get("resent").size());
    assertEquals(result.get("id").asText(), result.get("resent").get(0).get("id").asText(), "resent with the same client id");
    assertEquals("user:bob", result.get("resent").get(0).get("to").asText());
    assertEquals(List.of("written offline"), strings(result.get("texts")));
    assertEquals("sent", result.get("status").asText());
    assertEquals(1, result.get("sendsAfterAck").asInt(), "an acked message is not sent again");
    assertEquals(0, result.get("outbox").asInt());
    assertEquals("[]", result.get("stored").asText());
  }

  @Test
  void whenTheStreamEchoesAMessageBeforeItsAckTheBubbleIsNotDoubled() throws IOException {
    JsonNode result = run("""
        const { state } = harness();
        state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        const id = state.sendText(state.directWith('bob'), 'hello');
        state.receive(msg(1, 'alice', 'hello'));     // replayed by sync after a reconnect
        const duringRace = texts(state).length;
        state.receive({ type: 'ack', id, msgId: 'm1', conversation: 'dm:alice:bob', ts: 1700000000001 });
        return { duringRace, texts: texts(state), outbox: state.outbox.length };
        """);
    assertEquals(List.of("hello"), strings(result.get("texts")));
    assertEquals(0, result.get("outbox").asInt());
  }

  @Test
  void ticksFollowReceiptsAndAGroupMessageIsDeliveredOnlyWhenEveryMemberHasIt() throws IOException {
    JsonNode result = run("""
        const { state } = harness();
        state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        const dmId = state.sendText(state.directWith('bob'), 'hi bob');
        const steps = [state.byClientId.get(dmId).status];
        state.receive({ type: 'ack', id: dmId, msgId: 'x1', conversation: 'dm:alice:bob', ts: 1, seq: 1 });
        steps.push(state.byClientId.get(dmId).status);
        state.receive({ type: 'receipt', seq: 2, msgId: 'x1', conversation: 'dm:alice:bob', status: 'delivered', by: 'bob', ts: 2 });
        steps.push(state.byClientId.get(dmId).status);
        state.receive({ type: 'receipt', seq: 3, msgId: 'x1', conversation: 'dm:alice:bob', status: 'read', by: 'bob', ts: 3 });
        steps.push(state.byClientId.get(dmId).status);

        state.receive({ type: 'group', seq: 4, groupId: 'g1', event: 'created', by: 'alice', members: ['alice', 'bob', 'carol'], name: 'Trip' });
        const groupId = state.sendText('group:g1', 'hi all');
        state.receive({ type: 'ack', id: groupId, msgId: 'x2', conversation: 'group:g1', ts: 5, seq: 5 });
        state.receive({ type: 'receipt', seq: 6, msgId: 'x2', conversation: 'group:g1', status: 'delivered', by: 'bob', ts: 6 });
        const oneOfTwo = state.byClientId.get(groupId).status;
        state.receive({ type: 'receipt', seq: 7, msgId: 'x2', conversation: 'group:g1', status: 'read', by: 'carol', ts: 7 });
        const both = state.byClientId.get(groupId).status;
        return { steps, oneOfTwo, both, lastSeq: state.lastSeq };
        """);
    assertEquals(List.of("pending", "sent", "delivered", "read"), strings(result.get("steps")));
    assertEquals("sent", result.get("oneOfTwo").asText());
    assertEquals("delivered", result.get("both").asText(), "a read receipt implies delivered");
    assertEquals(7, result.get("lastSeq").asInt());
  }

  @Test
  void onlyTheVisibleConversationIsMarkedRead() throws IOException {
    JsonNode result = run("""
        const { state, sent } = harness();
        state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        state.receive(msg(1, 'bob', 'one'));
        state.receive(msg(2, 'carol', 'other chat', { conversation: 'dm:alice:carol' }));
        state.receive(msg(3, 'bob', 'two'));
        const before = state.unreadCount(state.conversations.get('dm:alice:bob'));
        state.setVisible('dm:alice:bob');
        state.receive(msg(4, 'bob', 'three'));   // arrives while the chat is on screen
        state.setVisible(null);
        state.receive(msg(5, 'bob', 'four'));    // the user looks elsewhere
        return { before, reads: ofType(sent, 'read'),
          bob: state.unreadCount(state.conversations.get('dm:alice:bob')),
          carol: state.unreadCount(state.conversations.get('dm:alice:carol')) };
        """);
    assertEquals(2, result.get("before").asInt());
    assertEquals("[{\"type\":\"read\",\"conversation\":\"dm:alice:bob\",\"upTo\":3},{\"type\":\"read\",\"conversation\":\"dm:alice:bob\",\"upTo\":4}]",
        result.get("reads").toString());
    assertEquals(1, result.get("bob").asInt());
    assertEquals(1, result.get("carol").asInt());
  }

  @Test
  void expiredMessagesDisappearAndTombstonesKeepTheStreamGapless() throws IOException {
    JsonNode result = run("""
        const { state } = harness();
        state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        state.receive({ type: 'settings', seq: 1, conversation: 'dm:alice:bob', disappearAfterSeconds: 30 });
        state.receive(msg(2, 'bob', 'soon gone', { expiresAt: Date.now() + 30000 }));
        state.receive(msg(3, 'bob', 'also gone', { expiresAt: Date.now() + 30000 }));
        state.receive(msg(4, 'bob', 'stays'));
        state.receive({ type: 'expired', seq: 5, conversation: 'dm:alice:bob', msgIds: ['m2', 'm3'] });
        // a fresh device replays the tombstone instead of the body
        const fresh = harness();
        fresh.state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        fresh.state.receive({ type: 'message', seq: 1, msgId: 'm9', conversation: 'dm:alice:bob', from: 'bob', ts: 1, expired: true });
        fresh.state.receive(msg(2, 'bob', 'after the tombstone'));
        return { texts: texts(state), timer: state.conversations.get('dm:alice:bob').disappearAfterSeconds,
          fresh: texts(fresh.state), freshSeq: fresh.state.lastSeq };
        """);
    assertEquals(List.of("stays"), strings(result.get("texts")));
    assertEquals(30, result.get("timer").asInt());
    assertEquals(List.of("after the tombstone"), strings(result.get("fresh")));
    assertEquals(2, result.get("freshSeq").asInt());
  }

  @Test
  void aServerWithAShorterStreamMakesTheClientStartOver() throws IOException {
    JsonNode result = run("""
        const storage = memoryStorage();
        const first = harness({ storage });
        first.state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        first.state.receive(msg(1, 'bob', 'old'));
        first.state.receive(msg(2, 'bob', 'older'));
        first.state.save();
        const second = harness({ storage });
        const restored = texts(second.state);
        second.state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        return { restored, sync: ofType(second.sent, 'sync'), lastSeq: second.state.lastSeq };
        """);
    assertEquals(List.of("old", "older"), strings(result.get("restored")), "a reload shows history before the socket is up");
    assertEquals("[{\"type\":\"sync\",\"after\":0}]", result.get("sync").toString());
    assertEquals(0, result.get("lastSeq").asInt());
  }

  @Test
  void updatesOfUnknownTypesAndFailureNoticesKeepTheirPlaceInTheStream() throws IOException {
    JsonNode result = run("""
        const { state } = harness();
        state.receive({ type: 'hello', userId: 'alice', lastSeq: 0 });
        const id = state.sendText(state.directWith('bob'), 'lost');
        state.receive({ type: 'some_future_update', seq: 1, what: 'ever' });
        state.receive({ type: 'failed', seq: 2, id, msgId: 'x9', conversation: 'dm:alice:bob', reason: 'gave up' });
        state.receive(msg(3, 'bob', 'after them'));
        const item = state.byClientId.get(id);
        return { lastSeq: state.lastSeq, texts: texts(state), status: item.status, failure: item.failure, outbox: state.outbox.length };
        """);
    assertEquals(3, result.get("lastSeq").asInt(), "an update the client does not know still advances the stream");
    assertEquals("failed", result.get("status").asText());
    assertEquals("gave up", result.get("failure").asText());
    assertEquals(0, result.get("outbox").asInt(), "a message the server gave up on is not resent by itself");
    assertEquals(List.of("after them", "lost"), strings(result.get("texts")), "unsent messages stay below the stream's messages");
  }
}
