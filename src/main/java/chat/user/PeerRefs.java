package chat.user;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Where an entity sends to other users' entities. Through sharding, every message passes the shard
 * region and the shard first: two more mailboxes, on the internal dispatcher's threads, one of them
 * (the region) shared by every message of the node. A user's entity names itself in its replies
 * ({@link User.Delivered}, {@link User.ReceiptsTaken}), so later messages go straight to it.
 *
 * <p>A known ref is watched and forgotten when its entity stops (passivation, rebalance, shutdown),
 * and whenever a request through it goes unanswered; the retry then goes through sharding, which
 * finds or starts the entity wherever it lives now. A message sent in the moment between an entity's
 * stop and this entity hearing of it is lost like one to a crashed node: every request sent through
 * here is answered or retried, and its receiver drops what it already has.
 *
 * @param <C> the owning entity's command type, for the stop notices
 */
public final class PeerRefs<C> {

  private final ActorContext<C> ctx;
  private final ClusterSharding sharding;
  private final int capacity;
  private final BiFunction<String, ActorRef<User.Command>, C> stopNotice;
  /**
   * Least recently used first; evicted refs are unwatched, so a busy entity watches a bounded number
   * of peers. Null until the first ref is learned: most entities of a node belong to idle users.
   */
  private LinkedHashMap<String, ActorRef<User.Command>> known;

  /** {@code stopNotice} builds the command this entity gets when a known peer's entity stops. */
  public PeerRefs(ActorContext<C> ctx, int capacity, BiFunction<String, ActorRef<User.Command>, C> stopNotice) {
    this.ctx = ctx;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.stopNotice = stopNotice;
    this.capacity = capacity;
  }

  /** The user's entity itself when known, else the way through sharding. */
  public RecipientRef<User.Command> of(String userId) {
    ActorRef<User.Command> ref = known == null ? null : known.get(userId);
    return ref != null ? ref : sharding.entityRefFor(User.TYPE_KEY, userId);
  }

  /** A reply named the entity of {@code userId}; null (a reply from a node that does not name it) is ignored. */
  public void learned(String userId, ActorRef<User.Command> ref) {
    if (ref == null) return;
    if (known == null) known = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, ActorRef<User.Command>> eldest) {
        if (size() <= capacity) return false;
        ctx.unwatch(eldest.getValue());
        return true;
      }
    };
    ActorRef<User.Command> before = known.put(userId, ref);
    if (ref.equals(before)) return;
    if (before != null) ctx.unwatch(before);
    ctx.watchWith(ref, stopNotice.apply(userId, ref));
  }

  /** A request went unanswered: the next one goes through sharding. */
  public void forget(String userId) {
    ActorRef<User.Command> ref = known == null ? null : known.remove(userId);
    if (ref != null) ctx.unwatch(ref);
  }

  /** The entity {@code ref} of {@code userId} stopped; a newer incarnation learned meanwhile is kept. */
  public void stopped(String userId, ActorRef<User.Command> ref) {
    if (known != null) known.remove(userId, ref);
  }
}
