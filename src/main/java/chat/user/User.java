package chat.user;

import chat.CborSerializable;
import chat.delivery.Retries;
import chat.ephemeral.Sealer;
import chat.media.MediaRetention;
import chat.user.UserState.InRef;
import chat.user.UserState.Outgoing;
import chat.user.UserState.ReceiptItem;
import chat.user.UserState.SentRef;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A user's update stream: one sharded, event-sourced entity per user. Its journal holds ONLY updates,
 * each write's updates in one row ({@link Batch}) numbered with the protocol's gapless {@code seq},
 * and {@code sync} reads past updates straight from the journal ({@link UpdateLog}). Everything else
 * (dedup window, delivery outbox, receipt bookkeeping) is state rebuilt from those updates and
 * bounded by snapshots.
 *
 * <p>Sending: the sender's entity persists {@code MessageSent} (its own stream), then hands the message
 * to the recipient's entity in per-recipient batches, one batch in flight, retried with backoff until
 * the recipient confirms. The recipient drops anything at or below the sender's high-water mark, so
 * retries never duplicate and never reorder. The sender's socket gets its {@code ack} once the message
 * is durable in both streams.
 *
 * <p>Receipts travel the other way as watermarks on the sender's own {@code seq}: a message is
 * receipted at most once per recipient and status, even when a crash replays requests.
 */
public final class User extends EventSourcedBehavior<User.Command, User.Event, UserState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "User");

  // ---------------------------------------------------------------- protocol

  public sealed interface Command extends CborSerializable {}

  /** A socket of this user registers for live updates; answered with {@link Connected}. */
  public record Connect(ActorRef<Outbound> connection) implements Command {}
  public record Disconnect(ActorRef<Outbound> connection) implements Command {}
  /** {@code send} from one of this user's sockets to the direct conversation with {@code peer}. */
  public record Send(String clientId, String peer, String body, ActorRef<Outbound> origin) implements Command {}
  /** Messages handed over by {@code from}'s entity, in the sender's order. */
  public record Deliver(String from, List<Delivery> messages, ActorRef<Delivered> replyTo) implements Command {}
  /** The client holds every update up to {@code upTo}. */
  public record Received(long upTo) implements Command {}
  /** Every message of {@code conversation} up to {@code upTo} has been read. */
  public record Read(String conversation, long upTo) implements Command {}
  /** Receipts from recipient {@code by} for messages this user sent. */
  public record Receipts(String by, List<ReceiptItem> items, ActorRef<ReceiptsTaken> replyTo) implements Command {}
  /** Where the stream ends: answered with {@link StreamEnd}. */
  public record GetStreamEnd(ActorRef<StreamEnd> replyTo) implements Command {}
  /** A member of direct conversation {@code conversation} sets its disappearing timer (0 = permanent). */
  public record ChangeSettings(String conversation, int disappearAfterSeconds, ActorRef<Boolean> replyTo) implements Command {}
  /** The server gave up delivering {@code msgId} (sent by this user) to {@code member}. */
  public record NotifyFailed(String clientId, String msgId, String conversation, String member, String reason) implements Command {}
  /** Who has received and read message {@code msgId}, if this user sent it. */
  public record GetReceipts(String msgId, ActorRef<ReceiptReport> replyTo) implements Command {}

  /** {@code entity} answered (null when the attempt failed, and then {@code confirmedUpTo} is -1). */
  private record DeliveryOutcome(String recipient, long confirmedUpTo, ActorRef<Command> entity) implements Command {}
  private record ReceiptOutcome(String sender, int count, ActorRef<Command> entity) implements Command {}
  /** The entity of {@code peer} this entity sent to directly stopped (see {@link PeerRefs}). */
  private record PeerStopped(String peer, ActorRef<Command> entity) implements Command {}
  private record Retry(String peer, boolean receipts) implements Command {}
  /** The receipts queued during the last {@code receipt-delay} go to their senders. */
  private record ReceiptsDue() implements Command {}
  private record Tick() implements Command {}
  private static final String RECEIPTS_DUE = "receipts-due";
  /** Persists every {@link Receipts} gathered since the last flush, in one write. */
  private record FlushReceipts() implements Command {}
  /** Persists every {@link Send} gathered since the last flush, in one write. */
  private record FlushSends() implements Command {}
  private record ExpiryDue() implements Command {}
  /**
   * Incoming messages a {@link Read} or {@link Received} covers that were no longer kept in memory,
   * read back from the journal ({@code failure} null on success).
   */
  private record OlderLoaded(Command request, UserState.SeqRange looked, List<InRef> older, String failure) implements Command {}

  /**
   * One update handed to a recipient. {@code senderSeq} orders the channel it comes from (the sender's
   * stream for direct messages, the group's position for groups); {@code author} wrote it; a group
   * change carries {@code change} and a settings change {@code disappearAfterSeconds} instead of a body.
   */
  public record Delivery(String msgId, long senderSeq, String conversation, long ts, String body, String author,
                         GroupChange change, long expiresAt, Integer disappearAfterSeconds)
      implements CborSerializable {}
  /** A membership or settings change of a group, as members see it. */
  public record GroupChange(String groupId, String event, String by, List<String> users, List<String> members, String name)
      implements CborSerializable {}
  public record ReceiptReport(boolean found, String conversation, List<String> deliveredTo, List<String> readBy) implements CborSerializable {}
  /** {@code entity}: the recipient's entity, which the sender may address directly from now on ({@link PeerRefs}). */
  public record Delivered(long upToSenderSeq, ActorRef<Command> entity) implements CborSerializable {}
  /** The stream's last {@code seq} and the journal row holding it (rows may hold several updates). */
  public record StreamEnd(long lastSeq, long lastRow) implements CborSerializable {}
  /** The receipts are durable in the sender's stream; {@code entity} is the sender's entity ({@link PeerRefs}). */
  public record ReceiptsTaken(ActorRef<Command> entity) implements CborSerializable {}

  /** What the entity tells a connection. */
  public sealed interface Outbound extends CborSerializable {}
  /** {@code entity}: this entity, which the connection may address directly from now on. */
  public record Connected(StreamEnd end, ActorRef<Command> entity) implements Outbound {}
  public record Update(long seq, Event event) implements Outbound {}
  /** {@code seq} is the message's seq in the sender's stream, or 0 when it has none yet (group posts). */
  public record Acked(String clientId, String msgId, String conversation, long ts, long seq) implements Outbound {}
  public record Rejected(String clientId, String code, String message) implements Outbound {}

  // ---------------------------------------------------------------- events: every one is an update

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = MessageSent.class, name = "sent"),
      @JsonSubTypes.Type(value = MessageReceived.class, name = "received"),
      @JsonSubTypes.Type(value = ReceiptAdded.class, name = "receipt"),
      @JsonSubTypes.Type(value = GroupChanged.class, name = "group"),
      @JsonSubTypes.Type(value = DeliveryFailed.class, name = "failed"),
      @JsonSubTypes.Type(value = SettingsChanged.class, name = "settings"),
      @JsonSubTypes.Type(value = Expired.class, name = "expired"),
      @JsonSubTypes.Type(value = Batch.class, name = "batch")})
  public sealed interface Event extends CborSerializable {}
  /**
   * One journal row holding the updates of one write, {@code firstSeq} onwards; every row written is
   * one. Why: the database's cost is mostly per row, not per byte (a group message's receipts are one
   * write of up to 199 updates to the author's stream), so seq and the journal's sequence number part
   * ways here; {@link UpdateLog} maps one to the other. Rows from before batching hold one plain
   * update whose seq is the row's sequence number. Never nested, never an update itself.
   */
  public record Batch(long firstSeq, List<Event> updates) implements Event {}
  /**
   * A message this user sent (shown to the user's other devices). {@code expiresAt} 0 = permanent;
   * otherwise {@code body} is sealed (see chat.ephemeral.Sealer).
   */
  public record MessageSent(String msgId, String clientId, String peer, String conversation, long ts, String body, long expiresAt) implements Event {}
  /** A message to this user; {@code senderSeq} is its seq in the sender's stream. */
  public record MessageReceived(String msgId, String from, String conversation, long ts, String body, long senderSeq, long groupSeq,
                                long expiresAt) implements Event {}
  /** A conversation's disappearing-messages timer changed. */
  public record SettingsChanged(String conversation, int disappearAfterSeconds, String by, long senderSeq) implements Event {}
  /** Temporary messages of {@code conversation} expired: from now on their seqs replay as tombstones. */
  public record Expired(String conversation, List<String> msgIds) implements Event {}
  /** A group this user is (or was, for its own removal) a member of changed; {@code position} orders it in the group. */
  public record GroupChanged(GroupChange change, long position) implements Event {}
  /** Delivery of a message this user sent failed for {@code member} after the last retry. */
  public record DeliveryFailed(String clientId, String msgId, String conversation, String member, String reason) implements Event {}
  /** {@code by} has received or read message {@code msgId} (seq {@code msgSeq} in this stream). */
  public record ReceiptAdded(String msgId, String conversation, String status, String by, long ts, long msgSeq) implements Event {}

  /**
   * The timer of the passivation check, armed only while no socket is connected. A timer per entity of
   * every idle socket, firing for nothing, made young collections scan most of the old generation
   * (docs/benchmarks.md, "idle sockets' timers").
   */
  private static final String PASSIVATION_CHECK = "passivation-check";

  /** Enough for everyone a person talks to at once; a peer beyond it goes through sharding, correct and a little slower. */
  private static final int PEERS_ADDRESSED_DIRECTLY = 256;

  public static final String DELIVERED = "delivered";
  public static final String READ = "read";

  // ---------------------------------------------------------------- construction

  public static Behavior<Command> create(EntityContext<Command> entity, ChatSettings settings, Sealer sealer, MediaRetention media,
                                         UpdateLog updateLog) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(PASSIVATION_CHECK, new Tick(), settings.passivateAfter());
      return new User(entity, ctx, timers, settings, sealer, media, updateLog);
    }));
  }

  private final String userId;
  private final EntityContext<Command> entity;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ChatSettings settings;
  private final Sealer sealer;
  private final MediaRetention media;

  // Soft state: live sockets and in-flight bookkeeping, never persisted.
  private final Set<ActorRef<Outbound>> connections = new HashSet<>();
  /** Peers' entities addressed directly. */
  private final PeerRefs<Command> peers;
  private final Set<String> deliveriesInFlight = new HashSet<>();
  private final Map<String, Integer> deliveryAttempts = new LinkedHashMap<>();
  private final Set<String> receiptsInFlight = new HashSet<>();
  private final Map<String, Integer> receiptAttempts = new LinkedHashMap<>();
  /**
   * Receipts from recipients, gathered until this entity's next turn: a group message draws one
   * {@link Receipts} from each of up to 199 members, and one write each (every write of an entity
   * waits for the one before) made the author's stream the bottleneck of the whole group.
   */
  private final List<Receipts> receiptsToWrite = new ArrayList<>();
  /** Senders with receipt requests queued during the current {@code receipt-delay}. */
  private final Set<String> receiptsDueFor = new HashSet<>();
  /**
   * Sends gathered until this entity's next turn, written together: a client with several messages
   * unacknowledged otherwise waits for one write per message, each after the one before.
   */
  private final List<Send> sendsToWrite = new ArrayList<>();
  /**
   * A settings change waits (stashed) for the sends gathered before it, and sends that arrive after
   * it wait behind it, so every message keeps the rule that was in force when it was sent.
   */
  private boolean settingsWaitingForSends;
  /**
   * A read (a received) waits for older messages from the journal; later reads (receiveds) wait,
   * stashed, behind it, so receipts keep their order.
   */
  private boolean readingUnreadFromJournal;
  private boolean confirmingFromJournal;
  private final UpdateLog updateLog;
  /** Sockets waiting for the ack of a message whose delivery is still pending, by msgId. */
  private final Map<String, List<ActorRef<Outbound>>> ackWaiters = new LinkedHashMap<>();
  private long lastActivityNanos = System.nanoTime();

  private User(EntityContext<Command> entity, ActorContext<Command> ctx, TimerScheduler<Command> timers, ChatSettings settings,
               Sealer sealer, MediaRetention media, UpdateLog updateLog) {
    // a failed journal write restarts the entity from its journal (with backoff) instead of stopping it
    super(PersistenceId.of("User", entity.getEntityId()), SupervisorStrategy.restartWithBackoff(
        java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(10), 0.2));
    this.userId = entity.getEntityId();
    this.entity = entity;
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.sealer = sealer;
    this.media = media;
    this.updateLog = updateLog;
    this.peers = new PeerRefs<>(ctx, PEERS_ADDRESSED_DIRECTLY, PeerStopped::new);
  }

  public static String persistenceId(String userId) {
    return PersistenceId.of("User", userId).id();
  }

  @Override
  public UserState emptyState() {
    return new UserState(settings.dedupWindow());
  }

  // ---------------------------------------------------------------- commands

  @Override
  public CommandHandler<Command, Event, UserState> commandHandler() {
    return (state, command) -> {
      if (!(command instanceof Tick)) lastActivityNanos = System.nanoTime();
      return switch (command) {
        case Connect c -> connect(state, c);
        case Disconnect d -> {
          connections.remove(d.connection());
          if (connections.isEmpty() && !timers.isTimerActive(PASSIVATION_CHECK)) {
            timers.startTimerWithFixedDelay(PASSIVATION_CHECK, new Tick(), settings.passivateAfter());
          }
          yield Effect().none();
        }
        case Send s -> {
          if (settingsWaitingForSends) yield Effect().stash();
          yield gather(sendsToWrite, s, new FlushSends());
        }
        case FlushSends f -> flushSends(state);
        case Deliver d -> deliver(state, d);
        case DeliveryOutcome o -> deliveryOutcome(state, o);
        case Received r -> confirmingFromJournal ? Effect().stash() : received(state, r);
        case Read r -> readingUnreadFromJournal ? Effect().stash() : read(state, r);
        case OlderLoaded l -> olderLoaded(state, l);
        case Receipts r -> gather(receiptsToWrite, r, new FlushReceipts());
        case FlushReceipts f -> flushReceipts(state);
        case ReceiptOutcome o -> receiptOutcome(state, o);
        case PeerStopped p -> {
          peers.stopped(p.peer(), p.entity());
          yield Effect().none();
        }
        case ReceiptsDue d -> {
          sendReceiptsDue(state);
          yield Effect().none();
        }
        case Retry r -> {
          if (r.receipts()) driveReceipts(state, r.peer());
          else driveDelivery(state, r.peer());
          yield Effect().none();
        }
        case GetStreamEnd g -> Effect().reply(g.replyTo(), end(state));
        case NotifyFailed f -> {
          DeliveryFailed failed = new DeliveryFailed(f.clientId(), f.msgId(), f.conversation(), f.member(), f.reason());
          yield persistUpdates(state, List.of(failed)).thenRun(newState -> pushLive(newState.lastSeq, failed, null));
        }
        case GetReceipts g -> Effect().reply(g.replyTo(), state.receiptReport(g.msgId()));
        case Tick t -> tick(state);
        case ExpiryDue e -> expire(state);
        case ChangeSettings c -> {
          if (!sendsToWrite.isEmpty()) {
            settingsWaitingForSends = true;
            yield Effect().stash();
          }
          settingsWaitingForSends = false;
          yield changeSettings(state, c);
        }
      };
    };
  }

  private Effect<Event, UserState> connect(UserState state, Connect c) {
    if (connections.add(c.connection())) ctx.watchWith(c.connection(), new Disconnect(c.connection()));
    // a connected user never passivates: no periodic check while sockets are open (see PASSIVATION_CHECK)
    timers.cancel(PASSIVATION_CHECK);
    c.connection().tell(new Connected(end(state), ctx.getSelf()));
    return Effect().none();
  }

  /**
   * Adds a command to what this entity writes on its next turn: the first one gathered schedules the
   * flush, behind every message already queued, so whatever arrives meanwhile shares the write.
   */
  private <T> Effect<Event, UserState> gather(List<T> gathered, T command, Command flush) {
    gathered.add(command);
    if (gathered.size() == 1) ctx.getSelf().tell(flush);
    return Effect().none();
  }

  private static <T> List<T> takeAll(List<T> gathered) {
    List<T> batch = List.copyOf(gathered);
    gathered.clear();
    return batch;
  }

  /** Every send gathered since the last flush: deduplicated by client id, then written in one go. */
  private Effect<Event, UserState> flushSends(UserState state) {
    List<Send> batch = takeAll(sendsToWrite);
    List<Event> events = new ArrayList<>(batch.size());
    List<ActorRef<Outbound>> origins = new ArrayList<>(batch.size());
    Map<String, MessageSent> inThisBatch = new HashMap<>();
    Set<String> peers = new LinkedHashSet<>();
    boolean expiring = false;
    for (Send s : batch) {
      SentRef known = state.recentSends.sentWithClientId(s.clientId());
      MessageSent sameBatch = inThisBatch.get(s.clientId());
      if (known != null || sameBatch != null) {
        // Idempotent resend: the same ack again, once the original is durable everywhere.
        String msgId = known != null ? known.msgId() : sameBatch.msgId();
        List<ActorRef<Outbound>> waiting = ackWaiters.get(msgId);
        if (waiting != null) waiting.add(s.origin());
        else if (known != null) s.origin().tell(new Acked(s.clientId(), known.msgId(), known.conversation(), known.ts(), known.seq()));
        continue;
      }
      String conversation = state.recentSends.shared(Conversations.direct(userId, s.peer()));
      String msgId = Retries.newMessageId();
      long ts = System.currentTimeMillis();
      int seconds = state.disappearAfter.getOrDefault(conversation, 0);
      long expiresAt = seconds > 0 ? ts + seconds * 1000L : 0L;
      String sharedMedia = MediaRetention.mediaIdOf(s.body());
      if (sharedMedia != null) media.retain(sharedMedia, expiresAt); // before the message exists: never a dangling reference
      String body = expiresAt > 0 ? sealer.seal(msgId, expiresAt, s.body()) : s.body();
      MessageSent event = new MessageSent(msgId, s.clientId(), s.peer(), conversation, ts, body, expiresAt);
      List<ActorRef<Outbound>> waiters = new ArrayList<>(2);
      waiters.add(s.origin());
      ackWaiters.put(msgId, waiters);
      events.add(event);
      origins.add(s.origin());
      inThisBatch.put(s.clientId(), event);
      peers.add(s.peer());
      expiring |= expiresAt > 0;
    }
    if (events.isEmpty()) return Effect().none().thenUnstashAll();
    boolean scheduleExpiry = expiring;
    return persistUpdates(state, events).thenRun(newState -> {
      long seq = newState.lastSeq - events.size() + 1;
      for (int i = 0; i < events.size(); i++) pushLive(seq + i, events.get(i), origins.get(i));
      peers.forEach(peer -> driveDelivery(newState, peer));
      if (scheduleExpiry) scheduleExpiry(newState);
    }).thenUnstashAll();
  }

  private Effect<Event, UserState> deliver(UserState state, Deliver d) {
    long highWater = state.inboundHighWater.getOrDefault(d.from(), 0L);
    List<Event> fresh = new ArrayList<>(d.messages().size());
    long last = highWater;
    boolean group = d.from().startsWith("group:");
    for (Delivery m : d.messages()) {
      if (m.senderSeq() <= last) continue;
      last = m.senderSeq();
      if (m.change() != null) fresh.add(new GroupChanged(m.change(), m.senderSeq()));
      else if (m.disappearAfterSeconds() != null) fresh.add(new SettingsChanged(m.conversation(), m.disappearAfterSeconds(), m.author(), m.senderSeq()));
      else fresh.add(new MessageReceived(m.msgId(), m.author(), m.conversation(), m.ts(), m.body(), m.senderSeq(),
          group ? m.senderSeq() : 0, m.expiresAt()));
    }
    long confirmed = Math.max(highWater, d.messages().isEmpty() ? 0 : d.messages().get(d.messages().size() - 1).senderSeq());
    if (fresh.isEmpty()) return Effect().reply(d.replyTo(), new Delivered(confirmed, ctx.getSelf()));
    return persistUpdates(state, fresh).thenRun(newState -> {
      pushLiveBatch(newState.lastSeq, fresh, null);
      d.replyTo().tell(new Delivered(confirmed, ctx.getSelf()));
      scheduleExpiry(newState);
    });
  }

  private Effect<Event, UserState> deliveryOutcome(UserState state, DeliveryOutcome o) {
    deliveriesInFlight.remove(o.recipient());
    if (o.confirmedUpTo() < 0) {
      peers.forget(o.recipient());
      scheduleRetry(o.recipient(), false, deliveryAttempts);
      return Effect().none();
    }
    peers.learned(o.recipient(), o.entity());
    deliveryAttempts.remove(o.recipient());
    ArrayDeque<Outgoing> queue = state.outbox.get(o.recipient());
    while (queue != null && !queue.isEmpty() && queue.peekFirst().senderSeq() <= o.confirmedUpTo()) {
      Outgoing done = queue.pollFirst();
      List<ActorRef<Outbound>> waiting = ackWaiters.remove(done.msgId());
      if (waiting != null) {
        Acked ack = new Acked(done.clientId(), done.msgId(), done.conversation(), done.ts(), done.senderSeq());
        for (ActorRef<Outbound> socket : waiting) socket.tell(ack);
      }
    }
    if (queue != null && queue.isEmpty()) state.outbox.remove(o.recipient());
    driveDelivery(state, o.recipient());
    return Effect().none();
  }

  /** Hands the head of the recipient's outbox over, one batch in flight per recipient. */
  private void driveDelivery(UserState state, String recipient) {
    ArrayDeque<Outgoing> queue = state.outbox.get(recipient);
    if (queue == null || queue.isEmpty() || deliveriesInFlight.contains(recipient)) return;
    List<Delivery> batch = new ArrayList<>(Math.min(queue.size(), settings.deliveryBatch()));
    for (Outgoing m : queue) {
      if (batch.size() == settings.deliveryBatch()) break;
      batch.add(new Delivery(m.msgId(), m.senderSeq(), m.conversation(), m.ts(), m.body(), userId, null, m.expiresAt(),
          m.disappearAfterSeconds()));
    }
    deliveriesInFlight.add(recipient);
    ctx.ask(Delivered.class, peers.of(recipient), settings.deliveryAttemptTimeout(),
        replyTo -> new Deliver(userId, batch, replyTo),
        (ok, failure) -> ok != null ? new DeliveryOutcome(recipient, ok.upToSenderSeq(), ok.entity()) : new DeliveryOutcome(recipient, -1, null));
  }

  /** Delivered receipts up to {@code upTo}; like {@link #read}, older unconfirmed messages come from the journal first. */
  private Effect<Event, UserState> received(UserState state, Received r) {
    long upTo = Math.min(r.upTo(), state.lastSeq);
    UserState.SeqRange inJournal = state.unconfirmedInJournal;
    if (inJournal == null || upTo < inJournal.from()) return markReceived(state, upTo, List.of());
    confirmingFromJournal = true;
    lookUpOlder(state, r, new UserState.SeqRange(inJournal.from(), Math.min(upTo, inJournal.to())), null);
    return Effect().none();
  }

  private EffectBuilder<Event, UserState> markReceived(UserState state, long upTo, List<InRef> older) {
    List<InRef> covered = new ArrayList<>(older);
    var inMemory = state.awaitingReceived.headMap(upTo, true);
    covered.addAll(inMemory.values());
    inMemory.clear();
    requestReceipts(state, covered, DELIVERED);
    return Effect().none();
  }

  /**
   * Queues a receipt of {@code status} for each message, oldest first; they go to their senders
   * {@code receipt-delay} later, together with whatever else was queued meanwhile. A client that
   * confirms {@code received} and then {@code read} for the same messages then costs its sender one
   * write instead of two, one after the other.
   */
  private void requestReceipts(UserState state, List<InRef> refs, String status) {
    for (InRef ref : refs) {
      state.queueReceipt(ref, status);
      receiptsDueFor.add(ref.from());
    }
    if (receiptsDueFor.isEmpty()) return;
    if (settings.receiptDelay().isZero()) sendReceiptsDue(state);
    else if (!timers.isTimerActive(RECEIPTS_DUE)) timers.startSingleTimer(RECEIPTS_DUE, new ReceiptsDue(), settings.receiptDelay());
  }

  /** Hands the receipts queued since the last time to their senders (a sender waiting out a retry's backoff is not among them). */
  private void sendReceiptsDue(UserState state) {
    receiptsDueFor.forEach(sender -> driveReceipts(state, sender));
    receiptsDueFor.clear();
  }

  /**
   * Read receipts for every unread message of the conversation up to {@code upTo}. When that reaches
   * back past the unread messages kept in memory, the older ones are read from the journal first:
   * their receipts must go before the newer ones, since a sender drops a receipt below one it has.
   */
  private Effect<Event, UserState> read(UserState state, Read r) {
    long upTo = Math.min(r.upTo(), state.lastSeq);
    UserState.SeqRange inJournal = state.unreadInJournal.get(r.conversation());
    if (inJournal == null || upTo < inJournal.from()) return markRead(state, r.conversation(), upTo, List.of());
    readingUnreadFromJournal = true;
    lookUpOlder(state, r, new UserState.SeqRange(inJournal.from(), Math.min(upTo, inJournal.to())), r.conversation());
    return Effect().none();
  }

  /** Reads the incoming messages (of {@code conversation}, or any when null) with seqs in {@code range} from the journal. */
  private void lookUpOlder(UserState state, Command request, UserState.SeqRange range, String conversation) {
    ctx.pipeToSelf(updateLog.range(userId, range.from(), range.to(), end(state)), (updates, failure) -> {
      if (failure != null) return new OlderLoaded(request, range, List.of(), failure.toString());
      List<InRef> refs = new ArrayList<>();
      for (Update u : updates) {
        if (u.event() instanceof MessageReceived m && !m.from().equals(userId)
            && (conversation == null || m.conversation().equals(conversation))) {
          refs.add(new InRef(u.seq(), m.msgId(), m.from(), m.conversation(), m.senderSeq()));
        }
      }
      return new OlderLoaded(request, range, refs, null);
    });
  }

  private Effect<Event, UserState> olderLoaded(UserState state, OlderLoaded l) {
    if (l.request() instanceof Read) readingUnreadFromJournal = false;
    else confirmingFromJournal = false;
    if (l.failure() != null) {
      // nothing is marked: the client's next read or received asks again
      ctx.getLog().warn("reading older messages of {} back from the journal failed: {}", userId, l.failure());
      return Effect().none().thenUnstashAll();
    }
    return switch (l.request()) {
      case Read r -> {
        state.unreadInJournal.computeIfPresent(r.conversation(), (conversation, range) -> UserState.SeqRange.after(range, l.looked().to()));
        yield markRead(state, r.conversation(), Math.min(r.upTo(), state.lastSeq), l.older()).thenUnstashAll();
      }
      case Received r -> {
        state.unconfirmedInJournal = UserState.SeqRange.after(state.unconfirmedInJournal, l.looked().to());
        yield markReceived(state, Math.min(r.upTo(), state.lastSeq), l.older()).thenUnstashAll();
      }
      default -> throw new IllegalStateException("not a receipt request: " + l.request());
    };
  }

  private EffectBuilder<Event, UserState> markRead(UserState state, String conversation, long upTo, List<InRef> older) {
    var unread = state.unread.get(conversation);
    List<InRef> covered = new ArrayList<>(older);
    if (unread != null) {
      var inMemory = unread.headMap(upTo, true);
      covered.addAll(inMemory.values());
      inMemory.clear();
      if (unread.isEmpty()) state.unread.remove(conversation);
    }
    // read implies delivered: the sender expands it, so the pending delivered requests can go
    for (InRef ref : covered) state.awaitingReceived.remove(ref.seq());
    requestReceipts(state, covered, READ);
    return Effect().none();
  }

  private void driveReceipts(UserState state, String sender) {
    ArrayDeque<ReceiptItem> queue = state.receiptOutbox.get(sender);
    if (queue == null || queue.isEmpty() || receiptsInFlight.contains(sender)) return;
    List<ReceiptItem> batch = new ArrayList<>(Math.min(queue.size(), settings.deliveryBatch()));
    for (ReceiptItem item : queue) {
      if (batch.size() == settings.deliveryBatch()) break;
      batch.add(item);
    }
    receiptsInFlight.add(sender);
    ctx.ask(ReceiptsTaken.class, peers.of(sender), settings.deliveryAttemptTimeout(),
        replyTo -> new Receipts(userId, batch, replyTo),
        (ok, failure) -> ok != null ? new ReceiptOutcome(sender, batch.size(), ok.entity()) : new ReceiptOutcome(sender, -1, null));
  }

  private Effect<Event, UserState> receiptOutcome(UserState state, ReceiptOutcome o) {
    receiptsInFlight.remove(o.sender());
    if (o.count() < 0) {
      peers.forget(o.sender());
      scheduleRetry(o.sender(), true, receiptAttempts);
      return Effect().none();
    }
    peers.learned(o.sender(), o.entity());
    receiptAttempts.remove(o.sender());
    ArrayDeque<ReceiptItem> queue = state.receiptOutbox.get(o.sender());
    for (int i = 0; i < o.count() && queue != null && !queue.isEmpty(); i++) queue.pollFirst();
    if (queue != null && queue.isEmpty()) state.receiptOutbox.remove(o.sender());
    driveReceipts(state, o.sender());
    return Effect().none();
  }

  /**
   * Receipts for this user's messages, from every recipient heard since the last flush, in one
   * write: deduplicated against per-recipient watermarks on our seq. Each recipient hears
   * {@link ReceiptsTaken} once the write is durable, and retries until then.
   */
  private Effect<Event, UserState> flushReceipts(UserState state) {
    List<Receipts> batch = takeAll(receiptsToWrite);
    ReceiptsTaken taken = new ReceiptsTaken(ctx.getSelf());
    List<Event> events = new ArrayList<>();
    long now = System.currentTimeMillis();
    Map<String, long[]> pending = new LinkedHashMap<>();
    for (Receipts r : batch) {
      for (ReceiptItem item : r.items()) {
        String key = UserState.watermarkKey(r.by(), item.conversation());
        long[] marks = pending.computeIfAbsent(key, k -> state.receiptWatermarks.getOrDefault(k, new long[2]).clone());
        if (item.msgSeq() > marks[0]) {
          events.add(new ReceiptAdded(item.msgId(), item.conversation(), DELIVERED, r.by(), now, item.msgSeq()));
          marks[0] = item.msgSeq();
        }
        if (item.status().equals(READ) && item.msgSeq() > marks[1]) {
          events.add(new ReceiptAdded(item.msgId(), item.conversation(), READ, r.by(), now, item.msgSeq()));
          marks[1] = item.msgSeq();
        }
      }
    }
    if (events.isEmpty()) {
      batch.forEach(r -> r.replyTo().tell(taken));
      return Effect().none();
    }
    return persistUpdates(state, events).thenRun(newState -> {
      pushLiveBatch(newState.lastSeq, events, null);
      batch.forEach(r -> r.replyTo().tell(taken));
    });
  }

  private void scheduleRetry(String peer, boolean receipts, Map<String, Integer> attempts) {
    int attempt = attempts.merge(peer, 1, Integer::sum);
    timers.startSingleTimer((receipts ? "receipts:" : "delivery:") + peer, new Retry(peer, receipts),
        Retries.backoff(attempt, settings.deliveryRetryMin(), settings.deliveryRetryMax()));
  }

  private Effect<Event, UserState> tick(UserState state) {
    boolean idle = System.nanoTime() - lastActivityNanos >= settings.passivateAfter().toNanos();
    if (idle && connections.isEmpty() && state.outbox.isEmpty() && state.receiptOutbox.isEmpty() && receiptsToWrite.isEmpty()
        && sendsToWrite.isEmpty() && !readingUnreadFromJournal && !confirmingFromJournal) {
      entity.getShard().tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
    return Effect().none();
  }

  /** Ends by releasing the sends that were stashed behind this change (none, usually). */
  private Effect<Event, UserState> changeSettings(UserState state, ChangeSettings c) {
    String peer = Conversations.peerOf(c.conversation(), userId);
    if (peer == null) return Effect().none().thenRun(s -> c.replyTo().tell(false)).thenUnstashAll();
    SettingsChanged event = new SettingsChanged(c.conversation(), c.disappearAfterSeconds(), userId, 0);
    return persistUpdates(state, List.of(event)).thenRun(newState -> {
      pushLive(newState.lastSeq, event, null);
      driveDelivery(newState, peer); // the peer's stream gets it in order with this user's messages
      c.replyTo().tell(true);
    }).thenUnstashAll();
  }

  /** Emits `expired` for every temporary message whose time has come, one update per conversation. */
  private Effect<Event, UserState> expire(UserState state) {
    Map<String, List<String>> due = state.dueExpiries(System.currentTimeMillis());
    if (due.isEmpty()) {
      scheduleExpiry(state);
      return Effect().none();
    }
    List<Event> events = new ArrayList<>(due.size());
    due.forEach((conversation, ids) -> events.add(new Expired(conversation, ids)));
    return persistUpdates(state, events).thenRun(newState -> {
      pushLiveBatch(newState.lastSeq, events, null);
      scheduleExpiry(newState);
    });
  }

  private void scheduleExpiry(UserState state) {
    if (state.expiries.isEmpty()) {
      timers.cancel("expiry");
      return;
    }
    long delay = Math.max(0, state.expiries.firstKey() - System.currentTimeMillis());
    timers.startSingleTimer("expiry", new ExpiryDue(), Duration.ofMillis(delay));
  }

  /** The stream's end: Pekko's sequence number is the row that holds {@code lastSeq}. Only inside a handler. */
  private StreamEnd end(UserState state) {
    return new StreamEnd(state.lastSeq, lastSequenceNumber(ctx));
  }

  /** One write, one journal row: the updates get the next seqs, in order. */
  private EffectBuilder<Event, UserState> persistUpdates(UserState state, List<? extends Event> updates) {
    return Effect().persist(new Batch(state.lastSeq + 1, List.copyOf(updates)));
  }

  private void pushLive(long seq, Event event, ActorRef<Outbound> except) {
    if (connections.isEmpty()) return;
    Update update = new Update(seq, event);
    for (ActorRef<Outbound> c : connections) if (!c.equals(except)) c.tell(update);
  }

  private void pushLiveBatch(long lastSeq, List<Event> events, ActorRef<Outbound> except) {
    long seq = lastSeq - events.size() + 1;
    for (Event e : events) pushLive(seq++, e, except);
  }

  // ---------------------------------------------------------------- events

  @Override
  public EventHandler<UserState, Event> eventHandler() {
    return (state, event) -> {
      if (event instanceof Batch batch) batch.updates().forEach(update -> apply(state, update));
      else apply(state, event);
      return state;
    };
  }

  private void apply(UserState state, Event event) {
    state.lastSeq++;
    switch (event) {
      case MessageSent m -> {
        state.recentSends.record(m.msgId(), m.clientId(), m.conversation(), m.ts(), state.lastSeq);
        state.outbox.computeIfAbsent(m.peer(), p -> new ArrayDeque<>())
            .addLast(new Outgoing(m.msgId(), m.clientId(), state.lastSeq, m.conversation(), m.ts(), m.body(), m.expiresAt(), null));
        if (m.expiresAt() > 0) state.addExpiry(m.expiresAt(), m.conversation(), m.msgId());
      }
      case MessageReceived m -> {
        String channel = m.groupSeq() > 0 ? m.conversation() : m.from();
        state.inboundHighWater.put(channel, m.senderSeq());
        if (m.expiresAt() > 0) state.addExpiry(m.expiresAt(), m.conversation(), m.msgId());
        if (m.from().equals(userId)) {
          // our own group message, copied back for our other devices: receipts are for us, not by us
          state.recentSends.record(m.msgId(), null, m.conversation(), 0, m.senderSeq());
        } else {
          InRef ref = new InRef(state.lastSeq, m.msgId(), m.from(), m.conversation(), m.senderSeq());
          state.addUnconfirmed(ref, settings.unconfirmedInMemory());
          state.addUnread(ref, settings.unreadInMemory());
        }
      }
      case GroupChanged g -> state.inboundHighWater.put("group:" + g.change().groupId(), g.position());
      case DeliveryFailed f -> { }
      case SettingsChanged c -> {
        state.disappearAfter.put(c.conversation(), c.disappearAfterSeconds());
        String peer = Conversations.peerOf(c.conversation(), userId);
        if (c.by().equals(userId) && peer != null) {
          // our own change goes to the peer through the outbox, ordered with our messages
          state.outbox.computeIfAbsent(peer, p -> new ArrayDeque<>())
              .addLast(new Outgoing("s" + state.lastSeq, null, state.lastSeq, c.conversation(), 0, null, 0, c.disappearAfterSeconds()));
        } else if (c.senderSeq() > 0) {
          state.inboundHighWater.put(c.conversation().startsWith("group:") ? c.conversation() : c.by(), c.senderSeq());
        }
      }
      case Expired x -> state.removeExpiries(x.msgIds());
      case ReceiptAdded r -> {
        long[] marks = state.receiptWatermarks.computeIfAbsent(UserState.watermarkKey(r.by(), r.conversation()), k -> new long[2]);
        int index = r.status().equals(READ) ? 1 : 0;
        marks[index] = Math.max(marks[index], r.msgSeq());
      }
      case Batch b -> throw new IllegalStateException("a batch inside a batch");
    }
  }

  @Override
  public SignalHandler<UserState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          // After a restart (a failed write) nothing gathered before it is still waiting: its senders
          // had no ack or ReceiptsTaken and retry, and no stashed settings change is left to release sends.
          sendsToWrite.clear();
          receiptsToWrite.clear();
          receiptsDueFor.clear(); // every queued receipt is handed over just below
          settingsWaitingForSends = false;
          // Work a crash interrupted: hand over undelivered messages and receipts again (receivers dedup).
          List.copyOf(state.outbox.keySet()).forEach(peer -> driveDelivery(state, peer));
          List.copyOf(state.receiptOutbox.keySet()).forEach(peer -> driveReceipts(state, peer));
          scheduleExpiry(state);
        })
        .build();
  }

  /**
   * A snapshot every {@code snapshot-every} journal rows bounds recovery; Pekko deletes all but the
   * two latest (a snapshot triggered any other way would never be deleted: they would pile up).
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SnapshotAdapter<UserState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(UserState state) {
        return state.toSnapshot(); // an immutable copy: the store serializes it on another thread
      }

      @Override
      public UserState fromJournal(Object from) {
        return UserState.fromSnapshot((UserState.Snapshot) from, settings.dedupWindow());
      }
    };
  }
}
