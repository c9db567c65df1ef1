package chat.gateway;

import chat.CborSerializable;
import chat.cluster.LiveSockets;
import chat.group.Group;
import chat.group.Groups;
import chat.presence.Presence;
import chat.user.Conversations;
import chat.user.UpdateLog;
import chat.user.User;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * One WebSocket: no business state, only the socket's view of its user's stream. It registers with
 * the user's {@link User} entity (updates) and {@link Presence} entity (online, typing), replays
 * {@code sync} from the journal page by page as the socket drains, and writes frames into a bounded
 * outbound queue: presence and typing are shed first, and a socket too slow for its chat updates is
 * closed (its client resyncs) rather than letting memory grow.
 */
public final class Connection extends AbstractBehavior<Connection.Msg> {

  public sealed interface Msg extends CborSerializable {}
  /** One parsed client frame; {@code ackTo} lets the socket read the next one (back-pressure). */
  public record Inbound(ClientFrame frame, ActorRef<StreamAck> ackTo) implements Msg {}
  public record StreamStarted(ActorRef<StreamAck> ackTo) implements Msg {}
  public record StreamEnded() implements Msg {}
  private record FromUser(User.Outbound out) implements Msg {}
  private record FromPresence(Presence.Live live) implements Msg {}
  private record PageLoaded(long from, int requested, UpdateLog.Page page) implements Msg {}
  private record PageFailed(long from, String reason) implements Msg {}
  private record LoadNextPage() implements Msg {}
  /** The outcome of a send's asynchronous checks; {@code code} null means it may go. */
  private record SendChecked(ClientFrame.Send send, String peer, String groupId, String code, String message, ActorRef<StreamAck> ackTo)
      implements Msg {}
  /** The user's entity this socket addressed directly stopped (it moved to another node, or passivated in a race). */
  private record UserEntityStopped(ActorRef<User.Command> entity) implements Msg {}
  /** No {@code Connected} yet after registering again: the shard may have handed that to the stopped entity. */
  private record RegisterAgain() implements Msg {}
  /** A presence entity this socket is registered or subscribed with stopped (it moved, or crashed). */
  private record PresenceStopped(ActorRef<Presence.Command> entity) implements Msg {}
  /** No {@code Registered} yet from the user's presence entity. */
  private record RegisterPresenceAgain() implements Msg {}
  /** This node is leaving the cluster: the client should reconnect (to another node) and sync. */
  public record NodeLeaving() implements Msg {}
  /**
   * The socket's outbound queue, sent once the WebSocket's stream is materialised (local only: the
   * queue lives in the socket's own stream, so frames go straight into it with no extra hop).
   */
  public record OutboundReady(SocketFlow.Outbound queue) implements Msg {}
  /** A frame emitted before the outbound queue existed. */
  private record EarlyFrame(String json, boolean essential) {}

  public enum StreamAck { INSTANCE }

  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);
  /** How long a socket waits for {@code Connected} after registering again before it asks once more. */
  private static final Duration REGISTER_AGAIN_AFTER = Duration.ofMillis(500);
  private static final String REGISTER_AGAIN_TIMER = "register-again";
  private static final String REGISTER_PRESENCE_TIMER = "register-presence";
  /**
   * How long the first registrations may take before they are sent again: a message through sharding
   * can be lost when its entity stops as it arrives. Generous, as the entities may be recovering.
   */
  private static final Duration FIRST_REGISTRATION_TIMEOUT = Duration.ofSeconds(10);

  /** A connection whose outbound queue arrives later, as {@link OutboundReady}. */
  public static Behavior<Msg> create(String userId, Gateway gateway) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Connection(ctx, timers, userId, gateway)));
  }

  private final String userId;
  private final Gateway gateway;
  /** Null until the socket's stream is materialised; frames emitted before wait in {@code early}. */
  private SocketFlow.Outbound out;
  private final ArrayDeque<EarlyFrame> early = new ArrayDeque<>();
  private final TimerScheduler<Msg> timers;
  private final EntityRef<User.Command> userViaSharding;
  /**
   * The user's entity itself, once its {@code Connected} named it: frames then skip the shard region
   * and the shard. Null before, and for good once an entity stopped under this socket
   * ({@code stoppedEntity} set): a frame through sharding could otherwise be overtaken by a later one
   * sent straight to the next incarnation.
   */
  private ActorRef<User.Command> userEntity;
  /**
   * The incarnation of the user's entity that last confirmed this socket's registration, watched so
   * that the socket registers again when it stops, however often that happens in the socket's life.
   */
  private ActorRef<User.Command> registeredWith;
  /** The entity that last stopped under this socket: its late answers do not confirm a registration. */
  private ActorRef<User.Command> stoppedEntity;
  /**
   * The presence entities that confirmed this socket's registration (its own user's) or a subscription,
   * by the user each one is for: watched, so that the socket registers or subscribes again when one
   * stops, as with {@code registeredWith}.
   */
  private final Map<ActorRef<Presence.Command>, String> presenceEntities = new HashMap<>();
  private final ActorRef<User.Outbound> asUserListener;
  private final ActorRef<Presence.Live> asPresenceListener;
  private final Set<String> subscriptions = new HashSet<>();

  private boolean helloSent;
  /** Sends handed to an entity and not yet acked or rejected; bounded by max-unacked-sends. */
  private int sendsInFlight;
  private ActorRef<StreamAck> parkedRead;
  private ActorRef<StreamAck> pendingStart;
  /** Highest seq this socket has been sent (or, before any sync, the stream's seq at connect). */
  private long lastSentSeq;
  /** Replay state: while replaying, live updates wait here. */
  private boolean replaying;
  /** Where the journal row of the next replayed update is, when the previous page knew it (0: search). */
  private long replayRow;
  /** The stream's end as the user's entity last reported it: bounds the replay's search. */
  private User.StreamEnd streamEnd;
  private final ArrayDeque<User.Update> heldLive = new ArrayDeque<>();
  private boolean heldOverflowed;
  private long lastActivityReport;
  private boolean closed;
  private int closeCode = WebSocketWire.NORMAL_CLOSURE;

  private Connection(ActorContext<Msg> ctx, TimerScheduler<Msg> timers, String userId, Gateway gateway) {
    super(ctx);
    this.userId = userId;
    this.gateway = gateway;
    this.timers = timers;
    this.userViaSharding = gateway.sharding.entityRefFor(User.TYPE_KEY, userId);
    this.asUserListener = ctx.messageAdapter(User.Outbound.class, FromUser::new);
    this.asPresenceListener = ctx.messageAdapter(Presence.Live.class, FromPresence::new);
    // Entities can move or restart (rebalance, crash): the socket watches the incarnations that confirm
    // its registrations and registers again when one stops. No periodic re-registration: a timer per
    // idle socket made young collections scan most of the old generation (docs/benchmarks.md).
    registerWithUser(FIRST_REGISTRATION_TIMEOUT);
    registerWithPresence(FIRST_REGISTRATION_TIMEOUT);
    gateway.openSockets.incrementAndGet();
    LiveSockets.of(gateway.system).register(ctx.getSelf(), new NodeLeaving());
  }

  @Override
  public Receive<Msg> createReceive() {
    return newReceiveBuilder().onMessage(Msg.class, this::handle).build();
  }

  private Behavior<Msg> handle(Msg msg) {
    switch (msg) {
      case StreamStarted s -> {
        // the first client frame is read only after `hello` went out: hello is always frame one
        if (helloSent) s.ackTo().tell(StreamAck.INSTANCE);
        else pendingStart = s.ackTo();
      }
      case Inbound in -> onFrame(in.frame(), in.ackTo());
      case SendChecked c -> {
        if (c.code() != null) error(c.send().id(), c.code(), c.message());
        else if (c.groupId() != null) dispatchToGroup(c.groupId(), c.send());
        else dispatchToUser(c.peer(), c.send());
        readNext(c.ackTo());
      }
      case FromUser f -> onUser(f.out());
      case FromPresence f -> onPresence(f.live());
      case PageLoaded p -> onPage(p);
      case PageFailed p -> {
        getContext().getLog().warn("sync replay for {} failed at {}: {}", userId, p.from(), p.reason());
        timers.startSingleTimer(new LoadNextPage(), Duration.ofMillis(500));
      }
      case LoadNextPage l -> loadNextPage();
      case UserEntityStopped u -> userEntityStopped(u);
      case RegisterAgain r -> registerWithUser(REGISTER_AGAIN_AFTER);
      case PresenceStopped p -> {
        String user = presenceEntities.remove(p.entity());
        if (user != null && user.equals(userId)) registerWithPresence(REGISTER_AGAIN_AFTER);
        if (user != null && subscriptions.contains(user)) presenceOf(user).tell(new Presence.Subscribe(asPresenceListener));
      }
      case RegisterPresenceAgain r -> registerWithPresence(REGISTER_AGAIN_AFTER);
      case StreamEnded e -> {
        return stop();
      }
      // the frames already queued go out first; the client reconnects to another node and resyncs
      case NodeLeaving l -> closeOutbound(WebSocketWire.SERVICE_RESTART);
      case OutboundReady r -> {
        out = r.queue();
        if (closed) {
          closeOutbound(closeCode);
        } else {
          while (!early.isEmpty()) {
            EarlyFrame f = early.pollFirst();
            emit(f.json(), f.essential());
          }
        }
      }
    }
    // a socket closed before its queue arrived stays until then, so that the close reaches the client
    return closed && out != null ? stop() : this;
  }

  private RecipientRef<User.Command> user() {
    return userEntity != null ? userEntity : userViaSharding;
  }

  /**
   * Frames the stopped entity had not handled yet may be lost: sends among them leave the client
   * without an ack, so the socket closes and the client resends them when it reconnects (the ids make
   * that idempotent). With no send in flight only a receipt request can be missing, and the next one
   * covers it: the socket stays, registered again at once through sharding, which starts the entity
   * anew. This holds for every stop in the socket's life, not only the first.
   */
  private void userEntityStopped(UserEntityStopped u) {
    boolean addressed = u.entity().equals(userEntity);
    boolean registered = u.entity().equals(registeredWith);
    if (!addressed && !registered) return; // an older incarnation: this socket is registered elsewhere
    stoppedEntity = u.entity();
    if (addressed) userEntity = null;
    if (registered) registeredWith = null;
    if (sendsInFlight > 0) closeOutbound();
    else if (registered) registerWithUser(REGISTER_AGAIN_AFTER);
  }

  /**
   * Registers through sharding until a {@code Connected} confirms it. The shard learns of its
   * entity's end on its own schedule: a {@code Connect} that reaches it first goes to the stopped
   * entity and is lost, and the socket would get nothing live, for good.
   */
  private void registerWithUser(Duration askAgainAfter) {
    user().tell(new User.Connect(asUserListener));
    timers.startSingleTimer(REGISTER_AGAIN_TIMER, new RegisterAgain(), askAgainAfter);
  }

  /** Registers through sharding until a {@code Registered} names the entity, as for the user's entity. */
  private void registerWithPresence(Duration askAgainAfter) {
    presenceOf(userId).tell(new Presence.Online(asPresenceListener));
    timers.startSingleTimer(REGISTER_PRESENCE_TIMER, new RegisterPresenceAgain(), askAgainAfter);
  }

  /** Completing the queue closes the socket after the frames already buffered. */
  private void closeOutbound() {
    closeOutbound(WebSocketWire.NORMAL_CLOSURE);
  }

  private void closeOutbound(int code) {
    closed = true;
    closeCode = code;
    if (out != null) out.complete(code);
  }

  private int outboundBacklog() {
    return out == null ? early.size() : out.size();
  }

  private Behavior<Msg> stop() {
    gateway.openSockets.decrementAndGet();
    LiveSockets.of(gateway.system).unregister(getContext().getSelf());
    user().tell(new User.Disconnect(asUserListener));
    presenceOf(userId).tell(new Presence.Offline(asPresenceListener));
    for (String u : subscriptions) presenceOf(u).tell(new Presence.Unsubscribe(asPresenceListener));
    return Behaviors.stopped();
  }

  // ---------------------------------------------------------------- client frames

  private void onFrame(ClientFrame frame, ActorRef<StreamAck> ackTo) {
    gateway.framesIn.increment();
    reportActivity();
    if (!(frame instanceof ClientFrame.Invalid) && !gateway.limiter.tryAcquire(userId)) {
      error(frame instanceof ClientFrame.Send s ? s.id() : null, "rate_limited", "too many frames; slow down");
      readNext(ackTo);
      return;
    }
    switch (frame) {
      case ClientFrame.Send s -> {
        if (send(s, ackTo)) return; // acknowledged once the recipient check completes
      }
      case ClientFrame.Sync s -> startReplay(s.after());
      case ClientFrame.Received r -> user().tell(new User.Received(r.upTo()));
      case ClientFrame.Read r -> {
        // a group read only touches this user's own stream: non-members simply have nothing there
        if (groupOf(r.conversation()) == null && Conversations.peerOf(r.conversation(), userId) == null) {
          error(null, "not_member", "not a conversation of yours: " + r.conversation());
        } else {
          user().tell(new User.Read(r.conversation(), r.upTo()));
        }
      }
      case ClientFrame.Subscribe s -> {
        for (String u : s.users()) {
          if (s.subscribe() ? subscriptions.add(u) : subscriptions.remove(u)) {
            presenceOf(u).tell(s.subscribe() ? new Presence.Subscribe(asPresenceListener) : new Presence.Unsubscribe(asPresenceListener));
            if (!s.subscribe() && !u.equals(userId)) forgetPresenceEntityOf(u);
          }
        }
      }
      case ClientFrame.Typing t -> {
        String groupId = groupOf(t.to());
        String peer = directPeer(t.to());
        if (groupId != null) groupRef(groupId).tell(new Group.Typing(userId));
        else if (peer == null) error(null, "invalid", "typing 'to' must be user:<name> of another user or group:<id>");
        else presenceOf(peer).tell(new Presence.Typing(Conversations.direct(userId, peer), userId));
      }
      case ClientFrame.Ping p -> emit(Frames.PONG, true);
      case ClientFrame.Invalid i -> error(i.id(), i.code(), i.message());
    }
    readNext(ackTo);
  }

  /**
   * Lets the socket deliver its next frame, unless this socket already has the maximum of sends waiting
   * for their ack: then reading pauses until one is acked. Overload so becomes TCP back-pressure on the
   * client instead of unbounded mailboxes, and every entity's queue stays short enough to answer in time.
   */
  private void readNext(ActorRef<StreamAck> ackTo) {
    if (sendsInFlight >= gateway.settings.maxUnackedSends()) parkedRead = ackTo;
    else ackTo.tell(StreamAck.INSTANCE);
  }

  private void sendSettled() {
    sendsInFlight = Math.max(0, sendsInFlight - 1);
    if (parkedRead != null && sendsInFlight < gateway.settings.maxUnackedSends()) {
      ActorRef<StreamAck> next = parkedRead;
      parkedRead = null;
      next.tell(StreamAck.INSTANCE);
    }
  }

  private void dispatchToUser(String peer, ClientFrame.Send s) {
    sendsInFlight++;
    user().tell(new User.Send(s.id(), peer, s.body(), asUserListener));
  }

  private void dispatchToGroup(String groupId, ClientFrame.Send s) {
    sendsInFlight++;
    groupRef(groupId).tell(new Group.Post(userId, s.id(), s.body(), asUserListener));
  }

  /**
   * Sends right away when nothing needs checking; otherwise checks (recipient exists, media may be shared
   * with the conversation's members) asynchronously and defers reading the socket's next frame until
   * done, so one socket's sends keep their order.
   *
   * @return true when the inbound ack is deferred
   */
  private boolean send(ClientFrame.Send s, ActorRef<StreamAck> ackTo) {
    String groupId = groupOf(s.to());
    if (groupId != null) {
      if (s.mediaId() == null) {
        dispatchToGroup(groupId, s);
        return false;
      }
      CompletionStage<String[]> verdict = groupRef(groupId).<Group.Reply>ask(r -> new Group.Get(userId, r), CHECK_TIMEOUT)
          .thenCompose(reply -> switch (reply) {
            case Group.Info info -> share(s.mediaId(), info.members());
            case Group.Refused r -> CompletableFuture.completedFuture(
                new String[] {r.code().equals("forbidden") ? "not_member" : r.code(), r.message()});
          });
      deferSend(s, null, groupId, verdict, ackTo);
      return true;
    }
    String peer = directPeer(s.to());
    if (peer == null) {
      error(s.id(), "invalid", "'to' must be user:<name> of another user or group:<id>");
      return false;
    }
    if (s.mediaId() == null && Boolean.TRUE.equals(gateway.directory.cached(peer))) {
      dispatchToUser(peer, s);
      return false;
    }
    CompletionStage<String[]> verdict = gateway.directory.exists(peer).thenCompose(exists -> {
      if (!exists) return CompletableFuture.completedFuture(new String[] {"not_found", "no such user: " + peer});
      return s.mediaId() == null ? CompletableFuture.completedFuture(null) : share(s.mediaId(), List.of(userId, peer));
    });
    deferSend(s, peer, null, verdict, ackTo);
    return true;
  }

  private CompletionStage<String[]> share(String mediaId, java.util.Collection<String> members) {
    return gateway.media.share(userId, mediaId, members).thenApply(result -> switch (result) {
      case OK -> null;
      case NOT_FOUND -> new String[] {"not_found", "no such media: " + mediaId};
      case FORBIDDEN -> new String[] {"forbidden", "you may not share media " + mediaId};
    });
  }

  private void deferSend(ClientFrame.Send s, String peer, String groupId, CompletionStage<String[]> verdict, ActorRef<StreamAck> ackTo) {
    getContext().pipeToSelf(verdict, (refusal, failure) -> {
      if (failure != null) return new SendChecked(s, peer, groupId, "overloaded", "could not check the message; send it again", ackTo);
      return new SendChecked(s, peer, groupId, refusal == null ? null : refusal[0], refusal == null ? null : refusal[1], ackTo);
    });
  }

  private static String groupOf(String target) {
    if (!target.startsWith("group:")) return null;
    String id = target.substring(6);
    return Groups.ID.matcher(id).matches() ? id : null;
  }

  private EntityRef<Group.Command> groupRef(String groupId) {
    return gateway.sharding.entityRefFor(Group.TYPE_KEY, groupId);
  }

  private String directPeer(String to) {
    if (!to.startsWith("user:")) return null;
    String peer = to.substring(5);
    return ClientFrame.USERNAME.matcher(peer).matches() && !peer.equals(userId) ? peer : null;
  }

  private void reportActivity() {
    long now = System.currentTimeMillis();
    if (now - lastActivityReport >= gateway.settings.activityInterval().toMillis()) {
      lastActivityReport = now;
      presenceOf(userId).tell(new Presence.Activity(now));
    }
  }

  // ---------------------------------------------------------------- updates

  private void onUser(User.Outbound o) {
    switch (o) {
      case User.Connected c -> {
        streamEnd = c.end();
        if (c.entity() == null) {
          timers.cancel(REGISTER_AGAIN_TIMER); // a node of an older version, which does not name its entity
        } else if (!c.entity().equals(stoppedEntity)) {
          timers.cancel(REGISTER_AGAIN_TIMER);
          registeredWith = c.entity();
          getContext().watchWith(registeredWith, new UserEntityStopped(registeredWith));
          if (userEntity == null && stoppedEntity == null) userEntity = c.entity();
        }
        if (!helloSent) {
          helloSent = true;
          if (!replaying) lastSentSeq = Math.max(lastSentSeq, c.end().lastSeq());
          emit(Frames.hello(userId, c.end().lastSeq(), System.currentTimeMillis()), true);
          if (pendingStart != null) pendingStart.tell(StreamAck.INSTANCE);
          pendingStart = null;
        } else if (!replaying && c.end().lastSeq() > lastSentSeq) {
          // Registered again (its entity moved or restarted): what was written while this socket was
          // not registered never came live, so it comes from the journal, in order, before live resumes.
          startReplay(lastSentSeq);
        }
      }
      case User.Update u -> {
        if (replaying) hold(u);
        else if (u.seq() > lastSentSeq) sendUpdate(u);
      }
      case User.Acked a -> {
        emit(Frames.ack(a), true);
        sendSettled();
      }
      case User.Rejected r -> {
        error(r.clientId(), r.code(), r.message());
        sendSettled();
      }
    }
  }

  private void sendUpdate(User.Update u) {
    lastSentSeq = u.seq();
    emit(gateway.render(userId, u), true);
  }

  private void hold(User.Update u) {
    if (heldLive.size() >= gateway.settings.syncPageSize() * 4) {
      heldLive.clear(); // the journal has them all: replay simply continues further
      heldOverflowed = true;
    }
    if (!heldOverflowed) heldLive.addLast(u);
  }

  private void startReplay(long after) {
    lastSentSeq = after;
    replayRow = 0;
    replaying = true;
    heldLive.clear();
    heldOverflowed = false;
    loadNextPage();
  }

  private void loadNextPage() {
    if (closed || !replaying) return;
    int page = gateway.settings.syncPageSize();
    if (outboundBacklog() + page > gateway.settings.outboundBuffer()) {
      timers.startSingleTimer(new LoadNextPage(), Duration.ofMillis(20)); // let the socket drain first
      return;
    }
    long from = lastSentSeq + 1;
    getContext().pipeToSelf(gateway.updateLog.page(userId, lastSentSeq, page, streamEnd, replayRow),
        (loaded, failure) -> failure != null ? new PageFailed(from, failure.getMessage()) : new PageLoaded(from, page, loaded));
  }

  private void onPage(PageLoaded p) {
    if (!replaying || p.from() != lastSentSeq + 1) return; // a newer sync superseded this page
    replayRow = p.page().nextRow();
    for (User.Update u : p.page().updates()) if (u.seq() > lastSentSeq) sendUpdate(u);
    if (p.page().updates().size() == p.requested()) {
      loadNextPage();
      return;
    }
    // Caught up with the journal. Held live updates continue the stream unless there is a gap.
    while (!heldLive.isEmpty() && heldLive.peekFirst().seq() <= lastSentSeq) heldLive.pollFirst();
    boolean gap = heldOverflowed || (!heldLive.isEmpty() && heldLive.peekFirst().seq() != lastSentSeq + 1);
    heldOverflowed = false;
    if (gap) {
      heldLive.clear();
      loadNextPage();
      return;
    }
    replaying = false;
    while (!heldLive.isEmpty()) sendUpdate(heldLive.pollFirst());
  }

  // ---------------------------------------------------------------- presence and output

  private void onPresence(Presence.Live live) {
    switch (live) {
      case Presence.PresenceChanged p -> emit(Frames.presence(p), false);
      case Presence.TypingNow t -> emit(Frames.typing(t), false);
      case Presence.Registered r -> {
        if (r.user().equals(userId)) timers.cancel(REGISTER_PRESENCE_TIMER);
        if (presenceEntities.putIfAbsent(r.presence(), r.user()) == null) {
          getContext().watchWith(r.presence(), new PresenceStopped(r.presence()));
        }
      }
    }
  }

  private void forgetPresenceEntityOf(String user) {
    presenceEntities.entrySet().removeIf(e -> {
      if (!e.getValue().equals(user)) return false;
      getContext().unwatch(e.getKey());
      return true;
    });
  }

  private void error(String id, String code, String message) {
    gateway.errors(code).increment();
    emit(Frames.error(id, code, message), true);
  }

  /**
   * Queues a frame. Live-only frames are shed once the buffer is half full; a chat frame that does not
   * fit closes the socket, since dropping it silently would break the stream's gapless order.
   */
  private void emit(String json, boolean essential) {
    if (closed) return;
    if (!essential && outboundBacklog() * 2 >= gateway.settings.outboundBuffer()) {
      gateway.droppedLive.increment();
      return;
    }
    if (out == null) {
      if (early.size() < gateway.settings.outboundBuffer()) early.addLast(new EarlyFrame(json, essential));
      else if (essential) closeOutbound();
      return;
    }
    if (out.offer(json)) {
      gateway.framesOut.increment();
    } else if (out.isClosed()) {
      closed = true; // the client went away under this frame: nothing slow about it, the socket just ends
    } else if (essential) {
      // dropping a chat frame would break the stream's gapless order: close, the client resyncs
      gateway.slowClosed.increment();
      closeOutbound();
    }
  }

  private EntityRef<Presence.Command> presenceOf(String user) {
    return gateway.sharding.entityRefFor(Presence.TYPE_KEY, user);
  }
}
