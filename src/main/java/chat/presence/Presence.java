package chat.presence;

import chat.CborSerializable;
import chat.account.Account;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * A user's presence: soft state, one sharded entity per user, no journal of its own. Online while any
 * socket is registered; last seen kept in memory and written to the {@link Account} coalesced (on
 * disconnect and at most once per flush interval), never once per frame. Pushes {@code presence}
 * frames to subscribed sockets and relays {@code typing} to this user's sockets. Both are live-only:
 * sockets drop them first under load.
 */
public final class Presence extends AbstractBehavior<Presence.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Presence");

  public sealed interface Command extends CborSerializable {}
  /** A socket of this user is open. */
  public record Online(ActorRef<Live> socket) implements Command {}
  public record Offline(ActorRef<Live> socket) implements Command {}
  /** Any frame from this user (sockets send at most one per activity interval). */
  public record Activity(long ts) implements Command {}
  public record Subscribe(ActorRef<Live> subscriber) implements Command {}
  public record Unsubscribe(ActorRef<Live> subscriber) implements Command {}
  /** {@code from} is typing in {@code conversation}: relay to this user's sockets. */
  public record Typing(String conversation, String from) implements Command {}
  public record PrivacyChanged(Account.LastSeenVisibility visibility) implements Command {}
  private record Loaded(Account.Info info) implements Command {}
  private record Tick() implements Command {}
  private static final String TICK = "tick";

  /** Live-only frames for sockets. */
  public sealed interface Live extends CborSerializable {}
  /** {@code lastSeen} is 0 when unknown or hidden by the user's privacy setting. */
  public record PresenceChanged(String user, boolean online, long lastSeen) implements Live {}
  public record TypingNow(String conversation, String user) implements Live {}
  /**
   * Answers {@link Online} and {@link Subscribe}: the socket is registered with (or subscribed to) this
   * incarnation of {@code user}'s entity, which it watches, to register or subscribe again when the
   * entity stops (rebalance, crash) instead of asking periodically.
   */
  public record Registered(String user, ActorRef<Command> presence) implements Live {}

  public record Settings(Duration flushInterval) {}

  public static Behavior<Command> create(EntityContext<Command> entity, Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withStash(10_000, stash -> Behaviors.withTimers(timers -> {
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      ctx.ask(Account.Info.class, sharding.entityRefFor(Account.TYPE_KEY, entity.getEntityId()), Duration.ofSeconds(10),
          Account.Get::new,
          (info, failure) -> new Loaded(info != null ? info
              : new Account.Info(false, entity.getEntityId(), null, null, Account.LastSeenVisibility.everyone, 0L)));
      return Behaviors.receive(Command.class)
          .onMessage(Loaded.class, loaded -> stash.unstashAll(new Presence(ctx, entity, timers, settings, loaded.info())))
          .onAnyMessage(other -> {
            stash.stash(other);
            return Behaviors.same();
          })
          .build();
    })));
  }

  private final String userId;
  private final EntityContext<Command> entity;
  private final ClusterSharding sharding;
  private final Set<ActorRef<Live>> sockets = new HashSet<>();
  private final Set<ActorRef<Live>> subscribers = new HashSet<>();
  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private Account.LastSeenVisibility visibility;
  private long lastSeen;
  private long flushedLastSeen;

  private Presence(ActorContext<Command> ctx, EntityContext<Command> entity, TimerScheduler<Command> timers, Settings settings,
                   Account.Info info) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.userId = entity.getEntityId();
    this.entity = entity;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.visibility = info.lastSeenVisibility();
    this.lastSeen = info.lastSeen();
    this.flushedLastSeen = info.lastSeen();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Command.class, this::handle)
        .build();
  }

  private Behavior<Command> handle(Command command) {
    switch (command) {
      case Online o -> {
        boolean wasOnline = !sockets.isEmpty();
        if (sockets.add(o.socket())) getContext().watchWith(o.socket(), new Offline(o.socket()));
        o.socket().tell(new Registered(userId, getContext().getSelf()));
        lastSeen = Math.max(lastSeen, System.currentTimeMillis());
        if (!wasOnline) broadcast();
      }
      case Offline o -> {
        boolean removed = sockets.remove(o.socket());
        boolean removedSubscriber = subscribers.remove(o.socket());
        if (removed || removedSubscriber) getContext().unwatch(o.socket());
        if (removed && sockets.isEmpty()) {
          lastSeen = System.currentTimeMillis();
          flush();
          broadcast();
        }
        // a socket that is both ours and a subscriber is watched once; keep watching if still needed
        if (sockets.contains(o.socket()) || subscribers.contains(o.socket())) {
          getContext().watchWith(o.socket(), new Offline(o.socket()));
        }
      }
      case Activity a -> lastSeen = Math.max(lastSeen, a.ts());
      case Subscribe s -> {
        if (subscribers.add(s.subscriber()) && !sockets.contains(s.subscriber())) {
          getContext().watchWith(s.subscriber(), new Offline(s.subscriber()));
        }
        s.subscriber().tell(new Registered(userId, getContext().getSelf()));
        s.subscriber().tell(current());
      }
      case Unsubscribe u -> {
        if (subscribers.remove(u.subscriber()) && !sockets.contains(u.subscriber())) getContext().unwatch(u.subscriber());
      }
      case Typing t -> {
        TypingNow frame = new TypingNow(t.conversation(), t.from());
        sockets.forEach(s -> s.tell(frame));
      }
      case PrivacyChanged p -> {
        visibility = p.visibility();
        broadcast();
      }
      case Tick t -> {
        flush();
        if (sockets.isEmpty() && subscribers.isEmpty()) entity.getShard().tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
      }
      case Loaded l -> { /* only while starting */ }
    }
    armTick();
    return this;
  }

  /**
   * The tick flushes last seen and passivates an entity nobody listens to. It runs only while it has
   * something to do: a periodic timer for each online user, firing for nothing while the user idles,
   * made young collections scan most of the old generation once many sockets were open.
   */
  private void armTick() {
    boolean due = lastSeen > flushedLastSeen || (sockets.isEmpty() && subscribers.isEmpty());
    if (due && !timers.isTimerActive(TICK)) timers.startSingleTimer(TICK, new Tick(), jittered(settings.flushInterval()));
  }

  /**
   * Somewhere between the interval and one and a half times it. Users who came online together (a
   * node's start, a reconnect storm) would otherwise flush together, every interval, for as long as
   * they stay: on a node holding 17,000 other sockets, a thousand account writes at one instant
   * stalled chat for 0.4 s every minute (docs/benchmarks.md).
   */
  private static Duration jittered(Duration interval) {
    long millis = interval.toMillis();
    return Duration.ofMillis(millis + ThreadLocalRandom.current().nextLong(millis / 2 + 1));
  }

  private PresenceChanged current() {
    long shown = visibility == Account.LastSeenVisibility.everyone ? lastSeen : 0L;
    return new PresenceChanged(userId, !sockets.isEmpty(), shown);
  }

  private void broadcast() {
    if (subscribers.isEmpty()) return;
    PresenceChanged frame = current();
    subscribers.forEach(s -> s.tell(frame));
  }

  private void flush() {
    if (lastSeen > flushedLastSeen) {
      sharding.entityRefFor(Account.TYPE_KEY, userId).tell(new Account.RecordLastSeen(lastSeen));
      flushedLastSeen = lastSeen;
    }
  }
}
