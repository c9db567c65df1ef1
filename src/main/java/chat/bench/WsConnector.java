package chat.bench;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgradeResponse;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Opens one client WebSocket per user with Pekko HTTP: outgoing frames through a bounded queue (so a
 * stalled server shows up as a full buffer, not as unbounded driver memory), incoming frames handed to
 * a callback one at a time in arrival order.
 */
final class WsConnector {

    /** Frames one socket may have queued towards the server before sends are refused. */
    private static final int SEND_BUFFER = 8192;
    private static final long STRICT_TEXT_TIMEOUT_MS = 10_000;

    private final ActorSystem system;
    private final Materializer materializer;
    private final String wsBase;
    private final ConnectionContext connectionContext;
    private final ClientConnectionSettings baseSettings;
    private final SourceAddresses sources;

    /**
     * @param base   the server's base URL
     * @param host   host to put in the WebSocket URL (an address literal when we spread source addresses,
     *               so the name cannot resolve to a family the sources do not match)
     */
    WsConnector(ActorSystem system, URI base, String host, SourceAddresses sources) {
        this.system = system;
        this.materializer = Materializer.matFromSystem(system);
        boolean tls = base.getScheme().equals("https");
        int port = base.getPort() > 0 ? base.getPort() : (tls ? 443 : 80);
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        this.wsBase = (tls ? "wss://" : "ws://") + hostPart + ":" + port + path + "/ws?token=";
        HttpsConnectionContext https = tls ? Http.get(system).defaultClientHttpsContext() : null;
        this.connectionContext = tls ? https : ConnectionContext.noEncryption();
        this.baseSettings = ClientConnectionSettings.create(system);
        this.sources = sources;
    }

    /**
     * Starts connecting {@code user}. Frames go to {@code onFrame}; {@code onClosed} runs once when the
     * socket ends, with null or the failure. The returned stage completes when the upgrade answered
     * (exceptionally with a readable reason if it was refused).
     */
    CompletionStage<Void> connect(BenchUser user, Consumer<String> onFrame, BiConsumer<BenchUser, Throwable> onClosed) {
        InetSocketAddress local = sources.forConnection(user.index);
        ClientConnectionSettings settings = baseSettings.withLocalAddress(Optional.ofNullable(local));
        WebSocketRequest request = WebSocketRequest.create(wsBase + URLEncoder.encode(user.token, StandardCharsets.UTF_8));

        Sink<Message, CompletionStage<Done>> incoming = Flow.<Message>create()
                .mapAsync(1, this::textOf)
                .toMat(Sink.foreach(text -> {
                    if (!text.isEmpty()) {
                        onFrame.accept(text);
                    }
                }), Keep.right());
        Source<Message, BoundedSourceQueue<Message>> outgoing = Source.queue(SEND_BUFFER);
        // coupled: when we finish sending the socket closes, and a server close ends our sending side
        Flow<Message, Message, Pair<CompletionStage<Done>, BoundedSourceQueue<Message>>> flow =
                Flow.fromSinkAndSourceCoupledMat(incoming, outgoing, Pair::create);

        Pair<CompletionStage<WebSocketUpgradeResponse>, Pair<CompletionStage<Done>, BoundedSourceQueue<Message>>> started =
                Http.get(system).singleWebSocketRequest(request, flow, connectionContext, Optional.ofNullable(local),
                        settings, system.log(), materializer);

        BoundedSourceQueue<Message> queue = started.second().second();
        user.outbox = new QueueOutbox(queue);
        started.second().first().whenComplete((done, failure) -> onClosed.accept(user, failure));

        CompletableFuture<Void> upgraded = new CompletableFuture<>();
        started.first().whenComplete((response, failure) -> {
            if (failure != null) {
                upgraded.completeExceptionally(new BenchFailure(describe(failure)));
            } else if (!response.isValid()) {
                completeQuietly(queue);
                upgraded.completeExceptionally(new BenchFailure(
                        "upgrade refused: HTTP " + response.response().status().intValue()));
            } else {
                upgraded.complete(null);
            }
        });
        return upgraded;
    }

    private CompletionStage<String> textOf(Message message) {
        if (message.isText()) {
            TextMessage text = message.asTextMessage();
            if (text.isStrict()) {
                return CompletableFuture.completedFuture(text.getStrictText());
            }
            return text.toStrict(STRICT_TEXT_TIMEOUT_MS, materializer).thenApply(strict -> strict.text());
        }
        // the protocol is text only; drain binary frames so the socket keeps flowing
        return message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), materializer).thenApply(d -> "");
    }

    static String describe(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    /** Completing a queue twice throws; a socket may be closed by both the server and the run. */
    private static void completeQuietly(BoundedSourceQueue<Message> queue) {
        try {
            queue.complete();
        } catch (IllegalStateException alreadyCompleted) {
            // closed already: nothing left to do
        }
    }

    /** Closes the socket by finishing our sending side. */
    static void close(BenchUser user) {
        if (user.outbox instanceof QueueOutbox q) {
            completeQuietly(q.queue);
        }
    }

    private record QueueOutbox(BoundedSourceQueue<Message> queue) implements BenchUser.Outbox {
        @Override
        public boolean offer(String frame) {
            try {
                return queue.offer(TextMessage.create(frame)) == QueueOfferResult.enqueued();
            } catch (IllegalStateException e) {
                return false; // completed queue: the socket is closing
            }
        }
    }
}
