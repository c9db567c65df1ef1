package chat.gateway;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;

/** Wires one authenticated WebSocket to a {@link Connection} actor. */
public final class SocketFlow {
  private static final AtomicLong SOCKET_IDS = new AtomicLong();

  private SocketFlow() {}

  public static Flow<Message, Message, NotUsed> create(String userId, Gateway gateway) {
    ActorRef<Connection.Msg> connection = gateway.system.systemActorOf(
        Connection.create(userId, gateway), "ws-" + SOCKET_IDS.incrementAndGet(), Props.empty());
    // The queue is materialised inside the socket's own stream (not pre-materialised on its own):
    // an outbound frame then goes from the Connection straight into the socket's stream, without
    // a second stream actor and a publisher/subscriber hop, and each socket holds one stream less.
    Source<Message, NotUsed> outbound = Source.<Message>queue(gateway.settings.outboundBuffer())
        .mapMaterializedValue(queue -> {
          connection.tell(new Connection.OutboundReady(queue));
          return NotUsed.notUsed();
        });
    int maxBytes = gateway.settings.maxFrameBytes();
    int maxText = gateway.settings.maxTextLength();
    Sink<Message, NotUsed> inbound = Flow.<Message>create()
        .mapAsync(1, message -> toFrame(message, maxBytes, maxText, gateway))
        .to(ActorSink.actorRefWithBackpressure(connection,
            (ActorRef<Connection.StreamAck> ackTo, ClientFrame frame) -> new Connection.Inbound(frame, ackTo),
            Connection.StreamStarted::new,
            Connection.StreamAck.INSTANCE,
            new Connection.StreamEnded(),
            failure -> new Connection.StreamEnded()));
    return Flow.fromSinkAndSourceCoupled(inbound, outbound);
  }

  /** Reads one message, never more than the frame limit of it into memory, and parses it. */
  private static CompletionStage<ClientFrame> toFrame(Message message, int maxBytes, int maxText, Gateway gateway) {
    if (!message.isText()) {
      return message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), gateway.system)
          .thenApply(done -> new ClientFrame.Invalid(null, "invalid", "binary frames are not supported; send JSON text"));
    }
    TextMessage text = message.asTextMessage();
    if (text.isStrict()) return CompletableFuture.completedFuture(parse(text.getStrictText(), maxBytes, maxText));
    return text.getStreamedText()
        .runFold(new StringBuilder(), (sb, chunk) -> sb.length() > maxBytes ? sb : sb.append(chunk), gateway.system)
        .thenApply(sb -> parse(sb.toString(), maxBytes, maxText));
  }

  private static ClientFrame parse(String text, int maxBytes, int maxText) {
    if (text.length() > maxBytes || (text.length() > maxBytes / 4 && text.getBytes(StandardCharsets.UTF_8).length > maxBytes)) {
      return new ClientFrame.Invalid(null, "too_large", "frame exceeds " + maxBytes + " bytes; nothing of it was processed");
    }
    return ClientFrame.parse(text, maxText);
  }
}
