package chat.hashing;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A Pekko Cluster Sharding allocation strategy over the consistent-hash ring: a shard lives on the
 * region that owns the shard id on the ring (bounded loads over shard counts), regions are named by
 * their node's {@code host:port} so every node computes the same map, and on a membership change a
 * rebalance moves exactly the shards whose owner changed, at most {@code rebalance-limit} in flight
 * at a time. Adding a 4th node to 3 therefore moves about a quarter of the shards, almost all to the
 * new node; a leaving node's shards are the only ones that move when it goes.
 *
 * <p>The placement is computed over the whole shard-id space ({@code "0"} to {@code
 * number-of-shards - 1}, the ids of Pekko's default message extractor, plus any other id in use),
 * not over the shards allocated so far. That makes it a function of the membership alone: the load
 * bound is c times a fair share of the space, so it never tightens as shards get allocated, and a
 * shard's place does not depend on which other shards happen to have been used. (Bounding over the
 * allocated shards only, a 3 -> 4 change over a few dozen shards could lower the bound under an old
 * member and push one of its shards to another old member.) A shard moves between two old members
 * only when the new member's arrival leaves an old member with more than its bounded share of the
 * space, which the ring's balance makes rare.
 *
 * <p>Use it when initialising sharding:
 * <pre>{@code
 * var strategy = ConsistentHashShardAllocationStrategy.create(system.settings().config(), User.TYPE_KEY.name());
 * sharding.init(Entity.of(User.TYPE_KEY, ctx -> User.create(ctx.getEntityId()))
 *     .withAllocationStrategy(strategy));
 * }</pre>
 * One instance per entity type (the coordinator of each type owns its strategy).
 */
public final class ConsistentHashShardAllocationStrategy extends ShardCoordinator.AbstractShardAllocationStrategy
        implements ShardCoordinator.ActorSystemDependentAllocationStrategy {

    private final ShardPlacement placement;
    private final int rebalanceLimit;
    private final Set<String> shardSpace;   // "0" .. number-of-shards - 1
    private volatile Cluster cluster;       // null outside a cluster (tests, single node without cluster)

    ConsistentHashShardAllocationStrategy(HashingSettings settings, int numberOfShards, String entityType) {
        if (numberOfShards < 1) {
            throw new IllegalArgumentException("number of shards must be >= 1, got " + numberOfShards);
        }
        this.placement = new ShardPlacement(settings, entityType);
        this.rebalanceLimit = settings.shardRebalanceLimit();
        List<String> space = new ArrayList<>(numberOfShards);
        for (int i = 0; i < numberOfShards; i++) {
            space.add(Integer.toString(i));
        }
        this.shardSpace = Set.copyOf(space);
    }

    /**
     * For the shards of {@code entityType} (the entity type key's name), from {@code parley.hashing}
     * and {@code pekko.cluster.sharding.number-of-shards} in {@code config} (which must include
     * reference-hashing.conf and Pekko's reference.conf).
     */
    public static ConsistentHashShardAllocationStrategy create(Config config, String entityType) {
        return new ConsistentHashShardAllocationStrategy(HashingSettings.fromConfig(config),
                config.getInt("pekko.cluster.sharding.number-of-shards"), entityType);
    }

    public static ConsistentHashShardAllocationStrategy create(HashingSettings settings, int numberOfShards,
                                                               String entityType) {
        return new ConsistentHashShardAllocationStrategy(settings, numberOfShards, entityType);
    }

    /** Called by the shard coordinator before first use. */
    @Override
    public void start(ActorSystem system) {
        if (system.provider() instanceof org.apache.pekko.cluster.ClusterActorRefProvider) {
            cluster = Cluster.get(system);
        }
    }

    /** Whether the coordinator started this strategy inside a cluster (regions are then named host:port). */
    boolean startedInCluster() {
        return cluster != null;
    }

    @Override
    public Future<ActorRef> allocateShard(ActorRef requester, String shardId,
                                          Map<ActorRef, IndexedSeq<String>> currentShardAllocations) {
        Map<String, ActorRef> regions = eligibleRegions(currentShardAllocations.keySet());
        if (regions.isEmpty()) {
            return Futures.successful(requester);
        }
        Set<String> shards = shardsToPlace(currentShardAllocations, shardId);
        String owner = placement.desiredOwner(regions.keySet(), shards, shardId);
        return Futures.successful(regions.get(owner));
    }

    @Override
    public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> currentShardAllocations,
                                         Set<String> rebalanceInProgress) {
        Map<String, ActorRef> regions = eligibleRegions(currentShardAllocations.keySet());
        int budget = rebalanceLimit - rebalanceInProgress.size();
        if (regions.isEmpty() || budget <= 0) {
            return Futures.successful(Set.of());
        }
        // Only shards on reachable, staying members are moved by a rebalance: a hand-off from a
        // crashed member would wait out the whole handoff-timeout while the shard's messages are
        // buffered, and Pekko moves a departing member's shards anyway (downed: reallocated when
        // its region terminates; leaving: handed off as the node shuts down).
        Set<Address> unreachable = unreachableMembers();
        Map<String, Collection<String>> movable = new HashMap<>();
        Set<String> unreachableIds = new HashSet<>();
        regions.forEach((id, ref) -> {
            if (unreachable.contains(fullAddress(ref))) unreachableIds.add(id);
            else movable.put(id, CollectionConverters.asJava(currentShardAllocations.get(ref)));
        });
        // nor towards a member that does not answer: it would get the shard only to buffer it
        List<String> moves = placement.movesNeeded(movable, regions.keySet(), shardsToPlace(currentShardAllocations, null),
                rebalanceInProgress, unreachableIds, budget);
        return Futures.successful(new HashSet<>(moves));
    }

    private Set<Address> unreachableMembers() {
        Cluster c = cluster;
        return c == null ? Set.of() : addressesOf(c.state().getUnreachable(), m -> true);
    }

    /** Regions that may receive shards, by ring id; those on leaving or downed members are left out. */
    private Map<String, ActorRef> eligibleRegions(Set<ActorRef> regions) {
        Set<Address> departing = departingMembers();
        Map<String, ActorRef> out = new LinkedHashMap<>();
        for (ActorRef ref : regions) {
            if (!departing.contains(fullAddress(ref))) {
                out.put(regionId(ref), ref);
            }
        }
        return out;
    }

    private Set<Address> departingMembers() {
        Cluster c = cluster;
        return c == null ? Set.of() : addressesOf(c.state().getMembers(), m -> m.status() == MemberStatus.leaving()
                || m.status() == MemberStatus.exiting() || m.status() == MemberStatus.down());
    }

    private static Set<Address> addressesOf(Iterable<Member> members, Predicate<Member> which) {
        Set<Address> out = new HashSet<>();
        for (Member m : members) {
            if (which.test(m)) {
                out.add(m.address());
            }
        }
        return out;
    }

    /**
     * The shard-id space plus any allocated id outside it (a custom extractor's) and {@code extra}.
     * Usually nothing is outside, and the same unmodifiable set is returned every time, which lets
     * the placement's cache answer without comparing sets.
     */
    private Set<String> shardsToPlace(Map<ActorRef, IndexedSeq<String>> allocations, String extra) {
        Set<String> outside = new HashSet<>();
        if (extra != null && !shardSpace.contains(extra)) {
            outside.add(extra);
        }
        allocations.values().forEach(shards -> CollectionConverters.asJava(shards).forEach(id -> {
            if (!shardSpace.contains(id)) {
                outside.add(id);
            }
        }));
        if (outside.isEmpty()) {
            return shardSpace;
        }
        Set<String> all = new HashSet<>(shardSpace);
        all.addAll(outside);
        return all;
    }

    /**
     * The ring id of a region: its node's {@code host:port} (the coordinator's own region has a local
     * address, which stands for this node's cluster address). Without a cluster, which only happens in
     * tests, regions are told apart by their actor path.
     */
    String regionId(ActorRef ref) {
        Address address = fullAddress(ref);
        return address.hasGlobalScope() ? nodeIdOf(address) : ref.path().toString();
    }

    private Address fullAddress(ActorRef ref) {
        Address a = ref.path().address();
        Cluster c = cluster;
        return a.hasLocalScope() && c != null ? c.selfAddress() : a;
    }

    /** {@code host:port} for a remote-capable address; the whole address otherwise (one JVM, no remoting). */
    public static String nodeIdOf(Address address) {
        if (address.host().isDefined() && address.port().isDefined()) {
            return address.host().get() + ":" + address.port().get();
        }
        return address.toString();
    }
}
