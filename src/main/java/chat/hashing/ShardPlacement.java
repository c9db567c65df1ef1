package chat.hashing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where shards belong, as a pure function of (member ids, shard ids): the ring owner of each shard,
 * with bounded loads over shard counts. Shards are placed in (hash, id) order so every node computes
 * the same answer from the same sets, and the answer does not depend on allocation history, which
 * is what lets a rebalance move exactly the shards whose owner changed and then stop.
 *
 * <p>A shard's key on the ring is {@code <key space>/<shard id>}, the key space being the entity
 * type: shard "17" of users and shard "17" of accounts are then placed independently. Without it every
 * entity type would put the same shard ids on the same node, so the shards moved by a membership
 * change would be the same ids in every type, and the share that moves would vary as if there were
 * only one type's worth of shards (with a few hundred users, 3 -> 4 nodes moved over 35% of the
 * allocated shards in about 2% of random memberships, against 0.05% with the types apart).
 *
 * <p>Not thread-safe (it caches the last ring); the shard coordinator calls it from one actor.
 */
public final class ShardPlacement {
    private final HashingSettings settings;
    private final String keySpace;
    private HashRing ring;          // last ring built, reused while membership is unchanged
    private Set<String> ringMembers = Set.of();
    // the last answer: a hand-off round asks again about the same sets once per moved shard
    private Set<String> lastShards = Set.of();
    private Collection<String> lastShardsInput;   // the caller's collection behind lastShards (read-only use)
    private Map<String, String> lastDesired = Map.of();
    private HashRing lastRing;
    private String[] lastOrder = new String[0];
    // shard ids are few and long-lived: hash each once (bounded, in case ids are not)
    private final Map<String, Long> hashes = new HashMap<>();

    /** Placement of the shards of one entity type, {@code keySpace} (any non-blank name). */
    public ShardPlacement(HashingSettings settings, String keySpace) {
        if (keySpace == null || keySpace.isBlank()) {
            throw new IllegalArgumentException("a shard placement needs a key space (the entity type)");
        }
        this.settings = settings;
        this.keySpace = keySpace + "/";
    }

    public HashingSettings settings() {
        return settings;
    }

    /** Desired member for every shard; empty if there are no members. */
    public Map<String, String> desiredOwners(Collection<String> members, Collection<String> shards) {
        if (members.isEmpty() || shards.isEmpty()) {
            return new HashMap<>();
        }
        return new HashMap<>(placed(members, shards));
    }

    /** Desired member of one shard of {@code shards} (which must contain it); null without members. */
    public String desiredOwner(Collection<String> members, Collection<String> shards, String shard) {
        if (members.isEmpty() || shards.isEmpty()) {
            return null;
        }
        return placed(members, shards).get(shard);
    }

    /** The placement of {@code shards} over {@code members}, recomputed only when either changed. */
    private Map<String, String> placed(Collection<String> members, Collection<String> shards) {
        HashRing r = ringFor(members);
        // the coordinator passes the same shard space every time: skip the copy and compare then
        if (r == lastRing && (shards == lastShardsInput || lastShards.equals(asSet(shards)))) {
            lastShardsInput = shards;
            return lastDesired;
        }
        Set<String> shardSet = asSet(shards);
        Map<String, String> out = new HashMap<>(shards.size() * 2);
        String[] ordered = canonicalOrder(r, shardSet);
        long[] keyHashes = new long[ordered.length];
        for (int i = 0; i < ordered.length; i++) {
            keyHashes[i] = hashOf(r, ordered[i]);
        }
        int[] owners = BoundedLoads.assign(r, keyHashes, settings.loadFactor());
        List<String> ids = r.nodes();
        for (int i = 0; i < ordered.length; i++) {
            out.put(ordered[i], ids.get(owners[i]));
        }
        lastShards = shardSet;
        lastShardsInput = shards;
        lastRing = r;
        lastDesired = Map.copyOf(out);
        lastOrder = ordered;
        return lastDesired;
    }

    private static Set<String> asSet(Collection<String> shards) {
        return shards instanceof Set<String> set ? set : new HashSet<>(shards);
    }

    /**
     * Shards to move, given where they are now: those whose current member differs from the desired
     * one, canonical order, at most {@code budget}. Placement is computed over {@code shardSpace}
     * (which must include every allocated shard); shards on no member at all are not listed (they
     * are allocated on their next message), nor are shards in {@code skip} or shards whose desired
     * member is in {@code unavailableTargets} (they wait for a later round and use no budget).
     */
    public List<String> movesNeeded(Map<String, ? extends Collection<String>> shardsByMember,
                                    Collection<String> eligibleMembers, Collection<String> shardSpace,
                                    Set<String> skip, Set<String> unavailableTargets, int budget) {
        List<String> moves = new ArrayList<>();
        if (eligibleMembers.isEmpty() || shardSpace.isEmpty() || budget <= 0) {
            return moves;
        }
        Map<String, String> desired = placed(eligibleMembers, shardSpace);
        Map<String, String> current = new HashMap<>();
        shardsByMember.forEach((member, shards) -> shards.forEach(s -> current.put(s, member)));
        for (String shard : lastOrder) {   // the canonical order that placement used
            if (moves.size() >= budget) {
                break;
            }
            String holder = current.get(shard);
            String target = desired.get(shard);
            if (holder != null && !skip.contains(shard) && !target.equals(holder) && !unavailableTargets.contains(target)) {
                moves.add(shard);
            }
        }
        return moves;
    }

    HashRing ringFor(Collection<String> members) {
        Set<String> wanted = new TreeSet<>(members);
        if (ring == null || !wanted.equals(ringMembers)) {
            ring = ring == null ? HashRing.of(settings, wanted) : ring.withMembers(wanted);
            ringMembers = wanted;
        }
        return ring;
    }

    private long hashOf(HashRing r, String shard) {
        Long h = hashes.get(shard);
        if (h == null) {
            if (hashes.size() > 1_000_000) {
                hashes.clear();
            }
            h = r.hashKey(keySpace + shard);
            hashes.put(shard, h);
        }
        return h;
    }

    private String[] canonicalOrder(HashRing r, Collection<String> shards) {
        record Keyed(long hash, String id) {}
        Keyed[] keyed = new Keyed[shards.size()];
        int i = 0;
        for (String s : shards) {
            keyed[i++] = new Keyed(hashOf(r, s), s);
        }
        Arrays.sort(keyed, (a, b) -> {
            int c = Long.compareUnsigned(a.hash, b.hash);
            return c != 0 ? c : a.id.compareTo(b.id);
        });
        String[] out = new String[keyed.length];
        for (int k = 0; k < keyed.length; k++) {
            out[k] = keyed[k].id;
        }
        return out;
    }
}
