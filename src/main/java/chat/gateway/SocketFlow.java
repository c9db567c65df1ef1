package chat.gateway;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.impl.engine.server.UpgradeToOtherProtocolResponseHeader;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import scala.runtime.BoxedUnit;

/**
 * One authenticated WebSocket: the upgrade's response, and the socket's stream, which is a single
 * stage between the connection's raw bytes and its {@link Connection} actor. The stage speaks
 * RFC 6455 itself ({@link WebSocketWire}); see there for why.
 *
 * <p>The stage reads one client message at a time and hands it to the Connection, and reads the next
 * only when the Connection acks (back-pressure reaches the client's TCP window). Outbound frames come
 * through {@link Outbound}, a bounded queue the Connection writes into from its own thread.
 */
public final class SocketFlow {
  private static final AtomicLong SOCKET_IDS = new AtomicLong();
  /** Frames the stage joins into one write when several are waiting. */
  private static final int FRAMES_PER_WRITE = 64;
  /** How long a closing socket waits for the client's close frame before it drops the connection. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
  /**
   * How long a socket the server closes may take to write out what is queued: a client that stops
   * reading must not hold its connection (and the frames) for good.
   */
  private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(10);

  private SocketFlow() {}

  /**
   * The 101 answer to a WebSocket upgrade that Pekko HTTP has validated (method, version, key), with
   * Parley's socket stream as what the connection switches to.
   */
  public static HttpResponse accept(String clientKey, String userId, Gateway gateway) {
    ActorRef<Connection.Msg> connection = gateway.system.systemActorOf(
        Connection.create(userId, gateway), "ws-" + SOCKET_IDS.incrementAndGet(), Props.empty());
    @SuppressWarnings("unchecked") // the header takes a flow with any materialised value, typed as Object
    var socket = (org.apache.pekko.stream.scaladsl.Flow<ByteString, ByteString, Object>) (Object)
        Flow.fromGraph(new SocketStage(connection, gateway.settings)).asScala();
    return HttpResponse.create()
        .withStatus(StatusCodes.SWITCHING_PROTOCOLS)
        .addHeader(HttpHeader.parse("Upgrade", "websocket"))
        .addHeader(HttpHeader.parse("Connection", "Upgrade"))
        .addHeader(HttpHeader.parse("Sec-WebSocket-Accept", WebSocketWire.acceptKey(clientKey)))
        // Pekko HTTP's own hook for handing a connection's bytes to another protocol (internal API:
        // the public WebSocket API offers only its message pipeline)
        .addHeader(new UpgradeToOtherProtocolResponseHeader(socket));
  }

  /**
   * The socket's outbound frames: offered by its Connection actor, drained by the socket's stage. At
   * most {@code capacity} frames wait; {@link #offer} says whether the frame was taken.
   */
  public static final class Outbound {
    private final ConcurrentLinkedQueue<ByteString> frames = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    /** Set by the stage when it found nothing to write: the next offer wakes it. */
    private final AtomicBoolean stageWaiting = new AtomicBoolean();
    private volatile boolean completed;
    private volatile int closeCode = WebSocketWire.NORMAL_CLOSURE;
    private volatile boolean streamEnded;
    private final AsyncCallback<BoxedUnit> wake;

    private Outbound(int capacity, AsyncCallback<BoxedUnit> wake) {
      this.capacity = capacity;
      this.wake = wake;
    }

    public boolean offer(String json) {
      if (completed || size.get() >= capacity) return false;
      size.incrementAndGet();
      frames.add(WebSocketWire.text(json));
      if (stageWaiting.compareAndSet(true, false)) wake.invoke(BoxedUnit.UNIT);
      return true;
    }

    public int size() {
      return size.get();
    }

    /** The socket's stream has ended (the client went away, or the connection broke). */
    public boolean isClosed() {
      return streamEnded;
    }

    /** The socket closes with {@code closeCode} once the frames already offered went out. */
    public void complete(int closeCode) {
      this.closeCode = closeCode;
      completed = true;
      stageWaiting.set(false);
      wake.invoke(BoxedUnit.UNIT); // always: the stage starts its flush deadline even while writing
    }

    ByteString poll() {
      ByteString frame = frames.poll();
      if (frame != null) size.decrementAndGet();
      return frame;
    }
  }

  private static final class SocketStage extends GraphStage<FlowShape<ByteString, ByteString>> {
    private final Inlet<ByteString> in = Inlet.create("SocketStage.in");
    private final Outlet<ByteString> out = Outlet.create("SocketStage.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final ActorRef<Connection.Msg> connection;
    private final Gateway.Settings settings;

    SocketStage(ActorRef<Connection.Msg> connection, Gateway.Settings settings) {
      this.connection = connection;
      this.settings = settings;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new Logic();
    }

    private final class Logic extends TimerGraphStageLogic {
      private static final String KEEP_ALIVE = "keep-alive";
      private static final String CLOSE_TIMER = "close";
      private final WebSocketWire.Decoder decoder = new WebSocketWire.Decoder(settings.maxFrameBytes());
      /** Pongs and the close frame: they go out before queued chat frames. */
      private final ArrayDeque<ByteString> control = new ArrayDeque<>(2);
      private Outbound outbound;
      private ActorRef<Connection.StreamAck> ackTo;
      /** The Connection has not yet acked the last message handed to it (or the stream's start). */
      private boolean awaitingAck = true;
      private boolean wroteSinceKeepAlive;
      private boolean closeSent;
      private boolean peerClosed;

      Logic() {
        super(shape);
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            decoder.feed(grab(in));
            if (!awaitingAck) readMessages();
          }

          @Override
          public void onUpstreamFinish() {
            completeStage();
          }

          @Override
          public void onUpstreamFailure(Throwable ex) {
            completeStage();
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            write();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            completeStage();
          }
        });
      }

      @Override
      public void preStart() {
        outbound = new Outbound(settings.outboundBuffer(), createAsyncCallback(unit -> {
          if (outbound.completed && !closeSent && !isTimerActive(CLOSE_TIMER)) scheduleOnce(CLOSE_TIMER, FLUSH_TIMEOUT);
          write();
        }));
        ackTo = Adapter.toTyped(getStageActor(envelope -> {
          if (envelope._2() == Connection.StreamAck.INSTANCE) onAck();
          return BoxedUnit.UNIT;
        }).ref());
        connection.tell(new Connection.OutboundReady(outbound));
        connection.tell(new Connection.StreamStarted(ackTo));
        // Pekko HTTP fails a switched connection whose new stream does not pull within its
        // subscription timeout; the first bytes wait in the decoder until the Connection is ready.
        pull(in);
        scheduleWithFixedDelay(KEEP_ALIVE, settings.keepAlive(), settings.keepAlive());
      }

      @Override
      public void postStop() {
        if (outbound != null) {
          outbound.streamEnded = true;
          outbound.completed = true;
        }
        connection.tell(new Connection.StreamEnded());
      }

      @Override
      public void onTimer(Object key) {
        if (CLOSE_TIMER.equals(key)) {
          completeStage();
        } else if (!wroteSinceKeepAlive && !closeSent && control.isEmpty()) {
          // a ping through every proxy on the way keeps an idle connection open
          control.add(WebSocketWire.ping());
          write();
        }
        wroteSinceKeepAlive = false;
      }

      private void onAck() {
        awaitingAck = false;
        readMessages();
      }

      /** Hands the next whole message to the Connection, answering control frames on the way. */
      private void readMessages() {
        while ((!awaitingAck || closeSent) && !peerClosed) {
          WebSocketWire.Event event = decoder.next();
          if (event == null) {
            if (!hasBeenPulled(in) && !isClosed(in)) pull(in);
            return;
          }
          switch (event) {
            case WebSocketWire.Text t -> deliver(ClientFrame.parse(t.text(), settings.maxTextLength()));
            case WebSocketWire.Binary b -> deliver(new ClientFrame.Invalid(null, "invalid", "binary frames are not supported; send JSON text"));
            case WebSocketWire.TooLarge t -> deliver(new ClientFrame.Invalid(null, "too_large",
                "frame exceeds " + settings.maxFrameBytes() + " bytes; nothing of it was processed"));
            case WebSocketWire.Ping p -> {
              if (!closeSent) {
                control.add(WebSocketWire.pong(p.payload()));
                write();
              }
            }
            case WebSocketWire.Pong p -> { }
            case WebSocketWire.Close c -> {
              peerClosed = true;
              close(c.code());
            }
            case WebSocketWire.Violation v -> {
              peerClosed = true;
              close(v.code());
            }
          }
        }
      }

      private void deliver(ClientFrame frame) {
        if (closeSent) return; // the socket is closing: only the peer's close frame matters now
        awaitingAck = true;
        connection.tell(new Connection.Inbound(frame, ackTo));
      }

      /** Sends a close frame after what is queued; the stream ends once the peer's close came back. */
      private void close(int code) {
        if (closeSent) {
          if (peerClosed) completeStage();
          return;
        }
        outbound.completed = true;
        control.add(WebSocketWire.close(code));
        closeSent = true;
        write();
        readMessages(); // on to the peer's close frame, past messages nobody will handle now
      }

      private void write() {
        if (!isAvailable(out)) return;
        ByteString batch = null;
        for (int n = 0; n < FRAMES_PER_WRITE; n++) {
          ByteString frame = control.isEmpty() ? (closeSent ? null : outbound.poll()) : control.poll();
          if (frame == null) break;
          batch = batch == null ? frame : batch.concat(frame);
        }
        if (batch != null) {
          push(out, batch);
          wroteSinceKeepAlive = true;
          if (closeSent && control.isEmpty()) afterCloseWritten();
          return;
        }
        if (closeSent) return;
        if (outbound.completed) {
          close(outbound.closeCode);
          return;
        }
        outbound.stageWaiting.set(true);
        // an offer between the poll above and the flag would otherwise go unnoticed until the next one
        boolean missed = !outbound.frames.isEmpty() || outbound.completed;
        if (missed && outbound.stageWaiting.compareAndSet(true, false)) write();
      }

      private void afterCloseWritten() {
        if (peerClosed) completeStage();
        else scheduleOnce(CLOSE_TIMER, CLOSE_TIMEOUT);
      }
    }
  }
}
