package chat.group;

import chat.CborSerializable;
import chat.delivery.Retries;
import chat.ephemeral.Sealer;
import chat.media.MediaRetention;
import chat.presence.Presence;
import chat.user.PeerRefs;
import chat.user.User;
import chat.user.User.Delivery;
import chat.user.User.GroupChange;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A group: members, admins, cap, and the group's one order. Every post and membership change gets the
 * next {@code position} (a message's {@code groupSeq}), is journalled here, and is then fanned out to
 * each recipient's {@link User} stream through a persisted outbox: one batch in flight per member,
 * retried with backoff; members drop positions they already have, so a redelivery after a crash or
 * passivation never duplicates or reorders. Delivery progress is journalled coalesced (one event per
 * {@code progress-interval}), so a crash costs redeliveries, never writes per message per member.
 * After the last attempt for a member, every author of what it missed gets a {@code failed} update.
 */
public final class Group extends EventSourcedBehavior<Group.Command, Group.Event, GroupState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Group");

  public record Settings(int maxMembers, int deliveryBatch, Duration retryMin, Duration retryMax, Duration attemptTimeout,
                         int maxAttempts, Duration progressInterval, Duration passivateAfter, int typingShedBacklog) {}

  // ---------------------------------------------------------------- protocol

  public sealed interface Command extends CborSerializable {}
  /** {@code adminsOnlySettings}: only admins may change the disappearing timer. */
  public record Create(String creator, String name, List<String> members, boolean adminsOnlySettings, ActorRef<Reply> replyTo) implements Command {}
  public record ChangeSettings(String by, int disappearAfterSeconds, ActorRef<Reply> replyTo) implements Command {}
  public record Get(String requester, ActorRef<Reply> replyTo) implements Command {}
  public record AddMembers(String by, List<String> users, ActorRef<Reply> replyTo) implements Command {}
  public record RemoveMember(String by, String user, ActorRef<Reply> replyTo) implements Command {}
  /** A member posts; the socket gets {@link User.Acked} once the group has journalled it, or {@link User.Rejected}. */
  public record Post(String sender, String clientId, String body, ActorRef<User.Outbound> origin) implements Command {}
  public record Typing(String from) implements Command {}
  /** Is {@code user} a member (used to authorise reading group conversations)? */
  public record IsMember(String user, ActorRef<Boolean> replyTo) implements Command {}

  /** {@code entity} answered (null when the attempt failed, and then {@code confirmedUpTo} is -1). */
  private record FanoutOutcome(String member, long confirmedUpTo, ActorRef<User.Command> entity) implements Command {}
  /** A member's entity the group sent to directly stopped (see {@link PeerRefs}). */
  private record MemberStopped(String member, ActorRef<User.Command> entity) implements Command {}
  private record Retry(String member) implements Command {}
  private record Tick() implements Command {}

  public sealed interface Reply extends CborSerializable {}
  public record Info(String groupId, String name, List<String> members, List<String> admins) implements Reply {}
  /** {@code code}: not_found, forbidden, group_full, invalid, exists. */
  public record Refused(String code, String message) implements Reply {}

  // ---------------------------------------------------------------- events

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = Created.class, name = "created"),
      @JsonSubTypes.Type(value = MembersAdded.class, name = "members-added"),
      @JsonSubTypes.Type(value = MemberRemoved.class, name = "member-removed"),
      @JsonSubTypes.Type(value = Posted.class, name = "posted"),
      @JsonSubTypes.Type(value = Progress.class, name = "progress"),
      @JsonSubTypes.Type(value = MemberFailed.class, name = "member-failed"),
      @JsonSubTypes.Type(value = SettingsSet.class, name = "settings-set")})
  public sealed interface Event extends CborSerializable {}
  public record Created(String name, String creator, List<String> members, long ts, boolean adminsOnlySettings) implements Event {}
  public record SettingsSet(String by, int disappearAfterSeconds, long ts) implements Event {}
  public record MembersAdded(String by, List<String> users, long ts) implements Event {}
  public record MemberRemoved(String by, String user, long ts) implements Event {}
  /** {@code expiresAt} 0 = permanent; otherwise the body is sealed. */
  public record Posted(String msgId, String sender, String clientId, long ts, String body, long expiresAt) implements Event {}
  /** Coalesced delivery progress: per member, every position up to the value is in its stream. */
  public record Progress(Map<String, Long> deliveredUpTo) implements Event {}
  /** The server gave up on {@code member} for positions up to {@code upTo}. */
  public record MemberFailed(String member, long upTo) implements Event {}

  // ---------------------------------------------------------------- construction

  public static Behavior<Command> create(EntityContext<Command> entity, Settings settings, Sealer sealer, MediaRetention media) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Tick(), settings.progressInterval());
      return new Group(entity, ctx, timers, settings, sealer, media);
    }));
  }

  private final String groupId;
  private final String conversation;
  private final EntityContext<Command> entity;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final ClusterSharding sharding;
  private final Set<String> inFlight = new HashSet<>();
  /** Members' entities, addressed directly once they answered. */
  private final PeerRefs<Command> memberRefs;
  private final Map<String, Integer> attempts = new HashMap<>();
  /** Members waiting for their retry timer: new posts must not bypass the backoff. */
  private final Set<String> backingOff = new HashSet<>();
  /** Confirmed but not yet journalled progress. */
  private final Map<String, Long> unsavedProgress = new HashMap<>();
  private long lastActivityNanos = System.nanoTime();

  private final Sealer sealer;
  private final MediaRetention media;

  private Group(EntityContext<Command> entity, ActorContext<Command> ctx, TimerScheduler<Command> timers, Settings settings,
                Sealer sealer, MediaRetention media) {
    // a failed journal write restarts the entity from its journal (with backoff) instead of stopping it
    super(PersistenceId.of("Group", entity.getEntityId()), SupervisorStrategy.restartWithBackoff(
        java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(10), 0.2));
    this.groupId = entity.getEntityId();
    this.conversation = "group:" + groupId;
    this.entity = entity;
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.sealer = sealer;
    this.media = media;
    this.memberRefs = new PeerRefs<>(ctx, settings.maxMembers(), MemberStopped::new);
  }

  @Override
  public GroupState emptyState() {
    return new GroupState();
  }

  // ---------------------------------------------------------------- commands

  @Override
  public CommandHandler<Command, Event, GroupState> commandHandler() {
    return (state, command) -> {
      if (!(command instanceof Tick)) lastActivityNanos = System.nanoTime();
      return switch (command) {
        case Create c -> create(state, c);
        case Get g -> {
          if (!state.exists) yield Effect().reply(g.replyTo(), notFound());
          if (!state.members.contains(g.requester())) yield Effect().reply(g.replyTo(), new Refused("forbidden", "not a member of this group"));
          yield Effect().reply(g.replyTo(), info(state));
        }
        case AddMembers a -> addMembers(state, a);
        case ChangeSettings c -> changeSettings(state, c);
        case RemoveMember r -> removeMember(state, r);
        case Post p -> post(state, p);
        case Typing t -> {
          if (state.members.contains(t.from()) && state.pendingCount() < settings.typingShedBacklog()) {
            Presence.Typing relay = new Presence.Typing(conversation, t.from());
            for (String m : state.members) if (!m.equals(t.from())) sharding.entityRefFor(Presence.TYPE_KEY, m).tell(relay);
          } // else: typing is the first thing shed when the group is behind on deliveries
          yield Effect().none();
        }
        case IsMember m -> Effect().reply(m.replyTo(), state.exists && state.members.contains(m.user()));
        case FanoutOutcome o -> fanoutOutcome(state, o);
        case MemberStopped m -> {
          memberRefs.stopped(m.member(), m.entity());
          yield Effect().none();
        }
        case Retry r -> {
          backingOff.remove(r.member());
          drive(state, r.member());
          yield Effect().none();
        }
        case Tick t -> tick(state);
      };
    };
  }

  private Effect<Event, GroupState> create(GroupState state, Create c) {
    if (state.exists) return Effect().reply(c.replyTo(), new Refused("exists", "group id taken"));
    LinkedHashSet<String> members = new LinkedHashSet<>();
    members.add(c.creator());
    members.addAll(c.members());
    if (members.size() > settings.maxMembers()) {
      return Effect().reply(c.replyTo(), new Refused("group_full", "a group has at most " + settings.maxMembers() + " members"));
    }
    Created created = new Created(c.name(), c.creator(), List.copyOf(members), System.currentTimeMillis(), c.adminsOnlySettings());
    return Effect().persist(created).thenRun(s -> {
      c.replyTo().tell(info(s));
      driveAll(s);
    });
  }

  private Effect<Event, GroupState> addMembers(GroupState state, AddMembers a) {
    if (!state.exists) return Effect().reply(a.replyTo(), notFound());
    if (!state.admins.contains(a.by())) return Effect().reply(a.replyTo(), new Refused("forbidden", "only admins add members"));
    List<String> fresh = a.users().stream().distinct().filter(u -> !state.members.contains(u)).toList();
    if (state.members.size() + fresh.size() > settings.maxMembers()) {
      return Effect().reply(a.replyTo(), new Refused("group_full", "a group has at most " + settings.maxMembers() + " members"));
    }
    if (fresh.isEmpty()) return Effect().reply(a.replyTo(), info(state));
    return Effect().persist(new MembersAdded(a.by(), fresh, System.currentTimeMillis())).thenRun(s -> {
      a.replyTo().tell(info(s));
      driveAll(s);
    });
  }

  private Effect<Event, GroupState> changeSettings(GroupState state, ChangeSettings c) {
    if (!state.exists) return Effect().reply(c.replyTo(), notFound());
    if (!state.members.contains(c.by())) return Effect().reply(c.replyTo(), new Refused("forbidden", "not a member of this group"));
    if (state.adminsOnlySettings && !state.admins.contains(c.by())) {
      return Effect().reply(c.replyTo(), new Refused("forbidden", "in this group only admins change the timer"));
    }
    return Effect().persist(new SettingsSet(c.by(), c.disappearAfterSeconds(), System.currentTimeMillis())).thenRun(s -> {
      c.replyTo().tell(info(s));
      driveAll(s);
    });
  }

  private Effect<Event, GroupState> removeMember(GroupState state, RemoveMember r) {
    if (!state.exists) return Effect().reply(r.replyTo(), notFound());
    if (!state.members.contains(r.by())) return Effect().reply(r.replyTo(), new Refused("forbidden", "not a member of this group"));
    if (!state.admins.contains(r.by()) && !r.by().equals(r.user())) {
      return Effect().reply(r.replyTo(), new Refused("forbidden", "only admins remove others"));
    }
    if (!state.members.contains(r.user())) return Effect().reply(r.replyTo(), new Refused("not_found", "not a member: " + r.user()));
    return Effect().persist(new MemberRemoved(r.by(), r.user(), System.currentTimeMillis())).thenRun(s -> {
      r.replyTo().tell(info(s));
      driveAll(s);
    });
  }

  private Effect<Event, GroupState> post(GroupState state, Post p) {
    if (!state.exists) {
      p.origin().tell(new User.Rejected(p.clientId(), "not_found", "no such group: " + groupId));
      return Effect().none();
    }
    if (!state.members.contains(p.sender())) {
      p.origin().tell(new User.Rejected(p.clientId(), "not_member", "not a member of " + conversation));
      return Effect().none();
    }
    GroupState.PostRef known = state.posts.get(GroupState.postKey(p.sender(), p.clientId()));
    if (known != null) {
      p.origin().tell(new User.Acked(p.clientId(), known.msgId(), conversation, known.ts(), 0));
      return Effect().none();
    }
    String msgId = Retries.newMessageId();
    long ts = System.currentTimeMillis();
    long expiresAt = state.disappearAfterSeconds > 0 ? ts + state.disappearAfterSeconds * 1000L : 0L;
    String sharedMedia = MediaRetention.mediaIdOf(p.body());
    if (sharedMedia != null) media.retain(sharedMedia, expiresAt);
    String body = expiresAt > 0 ? sealer.seal(msgId, expiresAt, p.body()) : p.body();
    Posted posted = new Posted(msgId, p.sender(), p.clientId(), ts, body, expiresAt);
    return Effect().persist(posted).thenRun(s -> {
      // durably ordered by the group: that is the sent tick
      p.origin().tell(new User.Acked(p.clientId(), posted.msgId(), conversation, posted.ts(), 0));
      for (String member : s.members) drive(s, member);
    });
  }

  // ---------------------------------------------------------------- fan-out

  private void driveAll(GroupState state) {
    for (String member : List.copyOf(state.recipientsWithPending())) drive(state, member);
  }

  private void drive(GroupState state, String member) {
    if (inFlight.contains(member) || backingOff.contains(member)) return;
    List<GroupState.Item> items = state.pendingFor(member, settings.deliveryBatch());
    if (items.isEmpty()) return;
    List<Delivery> batch = new ArrayList<>(items.size());
    for (GroupState.Item item : items) batch.add(toDelivery(item));
    inFlight.add(member);
    ctx.ask(User.Delivered.class, memberRefs.of(member), settings.attemptTimeout(),
        replyTo -> new User.Deliver(conversation, batch, replyTo),
        (ok, failure) -> ok != null ? new FanoutOutcome(member, ok.upToSenderSeq(), ok.entity()) : new FanoutOutcome(member, -1, null));
  }

  private Delivery toDelivery(GroupState.Item item) {
    return switch (item.event()) {
      // the sender's sockets get their copy too, the sending one included: a group ack carries no seq
      case Posted p -> new Delivery(p.msgId(), item.position(), conversation, p.ts(), p.body(), p.sender(), null, p.expiresAt(), null);
      case SettingsSet st -> new Delivery("s" + groupId + "." + item.position(), item.position(), conversation, st.ts(), null, st.by(),
          null, 0, st.disappearAfterSeconds());
      case Created c -> change(item, "created", c.creator(), null, item.membersAfter(), c.name());
      case MembersAdded a -> change(item, "member_added", a.by(), a.users(), item.membersAfter(), null);
      case MemberRemoved r -> change(item, "member_removed", r.by(), List.of(r.user()), item.membersAfter(), null);
      default -> throw new IllegalStateException("not a fan-out item: " + item.event());
    };
  }

  private Delivery change(GroupState.Item item, String event, String by, List<String> users, List<String> members, String name) {
    GroupChange change = new GroupChange(groupId, event, by, users, members, name);
    return new Delivery("g" + groupId + "." + item.position(), item.position(), conversation, item.ts(), null, by, change, 0, null);
  }

  private Effect<Event, GroupState> fanoutOutcome(GroupState state, FanoutOutcome o) {
    inFlight.remove(o.member());
    if (o.confirmedUpTo() < 0) {
      memberRefs.forget(o.member());
      int attempt = attempts.merge(o.member(), 1, Integer::sum);
      if (attempt >= settings.maxAttempts()) return giveUp(state, o.member());
      backingOff.add(o.member());
      timers.startSingleTimer("retry:" + o.member(), new Retry(o.member()), Retries.backoff(attempt, settings.retryMin(), settings.retryMax()));
      return Effect().none();
    }
    memberRefs.learned(o.member(), o.entity());
    attempts.remove(o.member());
    state.confirm(o.member(), o.confirmedUpTo());
    unsavedProgress.merge(o.member(), o.confirmedUpTo(), Math::max);
    drive(state, o.member());
    return Effect().none();
  }

  private Effect<Event, GroupState> giveUp(GroupState state, String member) {
    attempts.remove(member);
    List<GroupState.Item> missed = state.pendingFor(member, Integer.MAX_VALUE);
    long upTo = missed.isEmpty() ? 0 : missed.get(missed.size() - 1).position();
    return Effect().persist(new MemberFailed(member, upTo)).thenRun(s -> {
      for (GroupState.Item item : missed) {
        if (item.event() instanceof Posted p) {
          sharding.entityRefFor(User.TYPE_KEY, p.sender()).tell(new User.NotifyFailed(p.clientId(), p.msgId(), conversation, member,
              "could not deliver to " + member + " after " + settings.maxAttempts() + " attempts"));
        }
      }
    });
  }

  private Effect<Event, GroupState> tick(GroupState state) {
    if (!unsavedProgress.isEmpty()) {
      Progress progress = new Progress(Map.copyOf(unsavedProgress));
      unsavedProgress.clear();
      return Effect().persist(progress);
    }
    boolean idle = System.nanoTime() - lastActivityNanos >= settings.passivateAfter().toNanos();
    if (idle && inFlight.isEmpty() && state.pendingCount() == 0) {
      entity.getShard().tell(new org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.Passivate<>(ctx.getSelf()));
    }
    return Effect().none();
  }

  private Info info(GroupState s) {
    return new Info(groupId, s.name, List.copyOf(s.members), List.copyOf(s.admins));
  }

  private Refused notFound() {
    return new Refused("not_found", "no such group: " + groupId);
  }

  // ---------------------------------------------------------------- events

  @Override
  public EventHandler<GroupState, Event> eventHandler() {
    return (state, event) -> {
      state.apply(event);
      return state;
    };
  }

  @Override
  public SignalHandler<GroupState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::driveAll) // resume fan-out a crash or passivation interrupted
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(500, 2);
  }

  @Override
  public org.apache.pekko.persistence.typed.SnapshotAdapter<GroupState> snapshotAdapter() {
    return new org.apache.pekko.persistence.typed.SnapshotAdapter<>() {
      @Override
      public Object toJournal(GroupState state) {
        return state.toSnapshot();
      }

      @Override
      public GroupState fromJournal(Object from) {
        return GroupState.fromSnapshot((GroupState.Snapshot) from);
      }
    };
  }
}
