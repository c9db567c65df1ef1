package chat.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A tiny in-memory stand-in for a Parley node, just enough of PROTOCOL.md for the driver (accounts,
 * sessions, groups, /ws with hello, send/ack/message, received), with switchable faults so tests can
 * check that the driver notices lost and duplicated deliveries. Not a reference implementation.
 */
final class FakeParleyServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ActorSystem system;
    private final Materializer mat;
    private final ServerBinding binding;

    private final Map<String, String> passwords = new HashMap<>();
    private final Map<String, String> tokens = new HashMap<>();
    private final Map<String, Long> seqs = new HashMap<>();
    private final Map<String, BoundedSourceQueue<Message>> sockets = new HashMap<>();
    private final Map<String, List<String>> groups = new HashMap<>();
    private final Map<String, Long> receivedUpTo = new HashMap<>();
    private final Map<String, List<JsonNode>> streams = new HashMap<>();
    private final Map<String, Long> deliveriesTo = new HashMap<>();
    /** (sender, client id) -> the ack it got: the protocol's idempotent resend. */
    private final Map<String, JsonNode> acksByClientId = new HashMap<>();
    private final Map<String, Set<Long>> dropTo = new HashMap<>();
    private final Map<String, Set<Long>> duplicateTo = new HashMap<>();
    private long msgIds;

    volatile boolean groupsEnabled = true;

    /** The server "loses" the n-th (1-based) message delivery to {@code user}. */
    synchronized void dropDelivery(String user, long n) {
        dropTo.computeIfAbsent(user, k -> new HashSet<>()).add(n);
    }

    /** The server sends the n-th (1-based) message delivery to {@code user} twice. */
    synchronized void duplicateDelivery(String user, long n) {
        duplicateTo.computeIfAbsent(user, k -> new HashSet<>()).add(n);
    }

    FakeParleyServer() throws Exception {
        system = ActorSystem.create("fake-parley", ConfigFactory.parseString(
                "pekko.actor.provider = local\npekko.loglevel = WARNING\n"
                        + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off")
                .withFallback(ConfigFactory.load()));
        mat = Materializer.matFromSystem(system);
        binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(this::handle)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String url() {
        return "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    synchronized long receivedUpTo(String user) {
        return receivedUpTo.getOrDefault(user, 0L);
    }

    @Override
    public void close() throws Exception {
        binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private CompletionStage<HttpResponse> handle(HttpRequest req) {
        String path = req.getUri().path();
        if (path.equals("/ws")) {
            return CompletableFuture.completedFuture(webSocket(req));
        }
        return req.entity().toStrict(5_000, mat).thenApply(entity -> {
            String body = entity.getData().utf8String();
            try {
                return rest(req, path, body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body));
            } catch (Exception e) {
                return json(400, error("invalid", e.getMessage()));
            }
        });
    }

    private synchronized HttpResponse rest(HttpRequest req, String path, JsonNode body) {
        boolean post = req.method().equals(HttpMethods.POST);
        if (path.equals("/api/v1/health")) {
            return json(200, JSON.createObjectNode().put("status", "ok"));
        }
        if (post && path.equals("/api/v1/accounts")) {
            String name = body.path("username").asText();
            if (passwords.containsKey(name)) {
                return json(409, error("taken", "username taken"));
            }
            passwords.put(name, body.path("password").asText());
            seqs.put(name, 0L);
            return json(201, JSON.createObjectNode().put("userId", name).put("username", name));
        }
        if (post && path.equals("/api/v1/sessions")) {
            String name = body.path("username").asText();
            if (!body.path("password").asText().equals(passwords.get(name))) {
                return json(401, error("unauthorized", "bad credentials"));
            }
            String token = "tok-" + name + "-" + tokens.size();
            tokens.put(token, name);
            return json(200, JSON.createObjectNode().put("token", token).put("userId", name).put("expiresAt", 0));
        }
        if (post && path.equals("/api/v1/groups")) {
            if (!groupsEnabled) {
                return json(404, error("not_found", "no such endpoint"));
            }
            String creator = tokens.get(req.getHeader("Authorization").map(h -> h.value().substring(7)).orElse(""));
            if (creator == null) {
                return json(401, error("unauthorized", "no token"));
            }
            List<String> members = new ArrayList<>();
            members.add(creator);
            body.path("members").forEach(m -> members.add(m.asText()));
            String gid = "g" + groups.size();
            groups.put(gid, members);
            ObjectNode res = JSON.createObjectNode().put("groupId", gid).put("name", body.path("name").asText());
            ArrayNode ms = res.putArray("members");
            members.forEach(ms::add);
            res.putArray("admins").add(creator);
            return json(201, res);
        }
        if (path.equals("/api/v1/updates")) {
            String user = tokens.get(req.getHeader("Authorization").map(h -> h.value().substring(7)).orElse(""));
            if (user == null) {
                return json(401, error("unauthorized", "no token"));
            }
            long after = Long.parseLong(req.getUri().query().get("after").orElse("0"));
            int limit = Integer.parseInt(req.getUri().query().get("limit").orElse("100"));
            ObjectNode res = JSON.createObjectNode();
            ArrayNode updates = res.putArray("updates");
            List<JsonNode> stream = streams.getOrDefault(user, List.of());
            stream.stream().filter(u -> u.path("seq").asLong() > after).limit(limit).forEach(updates::add);
            res.put("lastSeq", seqs.getOrDefault(user, 0L));
            res.put("more", stream.stream().filter(u -> u.path("seq").asLong() > after).count() > limit);
            return json(200, res);
        }
        return json(404, error("not_found", path));
    }

    private HttpResponse webSocket(HttpRequest req) {
        Optional<WebSocketUpgrade> upgrade = req.getAttribute(AttributeKeys.webSocketUpgrade);
        String user;
        synchronized (this) {
            user = tokens.get(req.getUri().query().get("token").orElse(""));
        }
        if (upgrade.isEmpty() || user == null) {
            return json(401, error("unauthorized", "no valid token"));
        }
        Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> out = Source.<Message>queue(4096).preMaterialize(mat);
        long lastSeq;
        synchronized (this) {
            sockets.put(user, out.first());
            lastSeq = seqs.get(user);
        }
        out.first().offer(TextMessage.create(JSON.createObjectNode().put("type", "hello").put("userId", user)
                .put("lastSeq", lastSeq).put("serverTime", System.currentTimeMillis()).toString()));
        Sink<Message, ?> in = Flow.<Message>create()
                .mapAsync(1, m -> m.asTextMessage().toStrict(5_000, mat))
                .to(Sink.foreach(m -> onClientFrame(user, JSON.readTree(m.text()))));
        return upgrade.get().handleMessagesWith(Flow.fromSinkAndSourceCoupled(in, out.second()));
    }

    private synchronized void onClientFrame(String user, JsonNode frame) {
        switch (frame.path("type").asText()) {
            case "send" -> {
                JsonNode earlier = acksByClientId.get(user + "\u0000" + frame.path("id").asText());
                if (earlier != null) {
                    push(user, earlier);
                    return;
                }
                String to = frame.path("to").asText();
                List<String> recipients;
                String conversation;
                if (to.startsWith("user:")) {
                    String peer = to.substring(5);
                    recipients = List.of(peer);
                    conversation = user.compareTo(peer) < 0 ? "dm:" + user + ":" + peer : "dm:" + peer + ":" + user;
                } else {
                    List<String> members = groups.get(to.substring(6));
                    recipients = members.stream().filter(m -> !m.equals(user)).toList();
                    conversation = to;
                }
                String msgId = "msg" + (++msgIds);
                long senderSeq = nextSeq(user);
                ObjectNode own = JSON.createObjectNode().put("type", "message").put("seq", senderSeq)
                        .put("msgId", msgId).put("conversation", conversation).put("from", user).put("ts", 1);
                own.set("body", frame.path("body"));
                streams.computeIfAbsent(user, k -> new ArrayList<>()).add(own);
                JsonNode ack = JSON.createObjectNode().put("type", "ack").put("id", frame.path("id").asText())
                        .put("msgId", msgId).put("conversation", conversation).put("ts", 1).put("seq", senderSeq);
                acksByClientId.put(user + "\u0000" + frame.path("id").asText(), ack);
                push(user, ack);
                for (String r : recipients) {
                    long n = deliveriesTo.merge(r, 1L, Long::sum);
                    ObjectNode msg = JSON.createObjectNode().put("type", "message").put("seq", nextSeq(r))
                            .put("msgId", msgId).put("conversation", conversation).put("from", user).put("ts", 1);
                    msg.set("body", frame.path("body"));
                    if (conversation.startsWith("group:")) {
                        msg.put("groupSeq", msgIds);
                    }
                    streams.computeIfAbsent(r, k -> new ArrayList<>()).add(msg);
                    if (!dropTo.getOrDefault(r, Set.of()).contains(n)) {
                        push(r, msg);
                    }
                    if (duplicateTo.getOrDefault(r, Set.of()).contains(n)) {
                        push(r, msg);
                    }
                }
            }
            case "received" -> receivedUpTo.merge(user, frame.path("upTo").asLong(), Math::max);
            case "ping" -> push(user, JSON.createObjectNode().put("type", "pong"));
            default -> { }
        }
    }

    private long nextSeq(String user) {
        long s = seqs.merge(user, 1L, Long::sum);
        return s;
    }

    private void push(String user, JsonNode frame) {
        BoundedSourceQueue<Message> q = sockets.get(user);
        if (q != null) {
            q.offer(TextMessage.create(frame.toString()));
        }
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("error").put("code", code).put("message", message);
        return n;
    }

    private static HttpResponse json(int status, JsonNode body) {
        return HttpResponse.create().withStatus(status)
                .withEntity(ContentTypes.APPLICATION_JSON, body.toString());
    }
}
