package chat.account;

import chat.CborSerializable;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A user's account: credentials, profile, privacy and the persisted last-seen time. Separate from the
 * update stream ({@code chat.user.User}) so that stream's journal holds nothing but updates.
 */
public final class Account extends EventSourcedBehavior<Account.Command, Account.Event, Account.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Account");

  public enum LastSeenVisibility { everyone, nobody }

  // --- protocol
  public sealed interface Command extends CborSerializable {}
  public record Register(String passwordHash, String displayName, long ts, ActorRef<Boolean> replyTo) implements Command {}
  public record Get(ActorRef<Info> replyTo) implements Command {}
  public record SetPrivacy(LastSeenVisibility lastSeen, ActorRef<Boolean> replyTo) implements Command {}
  public record RecordLastSeen(long ts) implements Command {}
  private record Idle() implements Command {}

  /** What other components may know of an account; {@code exists} false for unknown usernames. */
  public record Info(boolean exists, String userId, String passwordHash, String displayName,
                     LastSeenVisibility lastSeenVisibility, long lastSeen) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}
  public record Registered(String passwordHash, String displayName, long ts) implements Event {}
  public record PrivacySet(LastSeenVisibility lastSeen) implements Event {}
  public record LastSeenRecorded(long ts) implements Event {}

  public record State(boolean exists, String passwordHash, String displayName, LastSeenVisibility lastSeenVisibility,
                      long lastSeen) implements CborSerializable {}

  // --- behavior
  public static Behavior<Command> create(EntityContext<Command> entity, Duration passivateAfter) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Idle(), passivateAfter);
      return new Account(entity, ctx.getSelf(), passivateAfter);
    }));
  }

  private final String userId;
  private final EntityContext<Command> entity;
  private final ActorRef<Command> self;
  private final Duration passivateAfter;
  private long lastCommandAt = System.nanoTime();

  private Account(EntityContext<Command> entity, ActorRef<Command> self, Duration passivateAfter) {
    // a failed journal write restarts the entity from its journal (with backoff) instead of stopping it
    super(PersistenceId.of("Account", entity.getEntityId()), SupervisorStrategy.restartWithBackoff(
        java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(10), 0.2));
    this.userId = entity.getEntityId();
    this.entity = entity;
    this.self = self;
    this.passivateAfter = passivateAfter;
  }

  @Override
  public State emptyState() {
    return new State(false, null, null, LastSeenVisibility.everyone, 0L);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return (state, command) -> {
      if (!(command instanceof Idle)) lastCommandAt = System.nanoTime();
      return switch (command) {
        case Register r when state.exists() -> Effect().reply(r.replyTo(), false);
        case Register r -> Effect().persist(new Registered(r.passwordHash(), r.displayName(), r.ts()))
            .thenReply(r.replyTo(), s -> true);
        case Get g -> Effect().reply(g.replyTo(), info(state));
        case SetPrivacy p when !state.exists() -> Effect().reply(p.replyTo(), false);
        case SetPrivacy p -> Effect().persist(new PrivacySet(p.lastSeen())).thenReply(p.replyTo(), s -> true);
        case RecordLastSeen r when !state.exists() || r.ts() <= state.lastSeen() -> Effect().none();
        case RecordLastSeen r -> Effect().persist(new LastSeenRecorded(r.ts()));
        case Idle i -> idle();
      };
    };
  }

  private Effect<Event, State> idle() {
    if (System.nanoTime() - lastCommandAt >= passivateAfter.toNanos()) {
      entity.getShard().tell(new ClusterSharding.Passivate<>(self));
    }
    return Effect().none();
  }

  private Info info(State s) {
    return new Info(s.exists(), userId, s.passwordHash(), s.displayName(), s.lastSeenVisibility(), s.lastSeen());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return (state, event) -> switch (event) {
      case Registered r -> new State(true, r.passwordHash(), r.displayName(), LastSeenVisibility.everyone, 0L);
      case PrivacySet p -> new State(state.exists(), state.passwordHash(), state.displayName(), p.lastSeen(), state.lastSeen());
      case LastSeenRecorded l -> new State(state.exists(), state.passwordHash(), state.displayName(), state.lastSeenVisibility(), l.ts());
    };
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // last-seen writes accumulate; a snapshot every 100 keeps recovery to a handful of rows
    return RetentionCriteria.snapshotEvery(100, 2);
  }
}
