package chat.hashing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable consistent-hash ring: one snapshot of a membership. Lookups read only final arrays,
 * so they never lock and never observe half of a change; a membership change builds a new snapshot
 * ({@link #withNode}, {@link #withoutNode}) that shares the unchanged nodes' virtual-node points.
 *
 * <p>Layout. Every node gets {@code round(weight * virtualNodes)} points on a 2^64 circle, the
 * hash of {@code "<id>#<i>"} with its low 16 bits cleared. A key belongs to the point nearest to it
 * on either side (by default; {@link Direction#CLOCKWISE} is the seed's rule, the first point
 * clockwise). The ring stores, for each point, the <em>boundary</em> where its arc ends: the
 * midpoint to the next point clockwise (rounded down to a multiple of 2^16), or the point itself
 * for the clockwise rule. Either way a lookup is the seed's: the first boundary at or after the
 * key, clockwise. Each boundary is one {@code long} entry, {@code boundary | ownerIndex}, owners
 * numbered in id order, so sorting entries sorts by boundary then by node id, independent of
 * insertion order. A prefix index over the top bits of the circle (two buckets per point) narrows
 * the search to a bucket of mostly zero or one entry: two cache lines per lookup at any ring size.
 *
 * <p>Why nearest. A point then owns half of the gap before it plus half of the gap after it; the
 * sum of two independent halves has half the variance of one whole gap, so every node gets the
 * balance of twice as many virtual nodes, and since the midpoints are computed when the snapshot
 * is built, a lookup costs exactly what the classic ring's does.
 *
 * <p>Consistency. A midpoint moves only when a point is inserted between its two neighbours, and
 * then only towards the inserted point (rounding down is monotone), so adding a node moves keys only
 * to it, removing one moves only its keys, and any insertion order gives the same mapping.
 */
public final class HashRing {
    /** Owners live in the low bits of an entry, so a ring holds at most this many nodes. */
    public static final int MAX_NODES = 1 << 16;
    static final long OWNER_MASK = MAX_NODES - 1;
    static final long POSITION_MASK = ~OWNER_MASK;

    /** Which point owns a key. */
    public enum Direction {
        /** The nearest point on either side (default: balance of twice the points, same cost). */
        NEAREST,
        /** The first point clockwise: the seed's classic ring. */
        CLOCKWISE;

        public static Direction fromName(String name) {
            return switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "nearest" -> NEAREST;
                case "clockwise" -> CLOCKWISE;
                default -> throw new IllegalArgumentException(
                        "parley.hashing.direction must be \"nearest\" or \"clockwise\", got \"" + name + "\"");
            };
        }
    }

    private final RingHash hash;
    private final int virtualNodes;
    private final boolean nearest;
    private final String[] nodeIds;          // sorted; index = owner number
    private final double[] weights;          // by owner
    private final Map<String, Integer> indexOf;
    private final Map<String, long[]> pointsByNode; // positions only, reused by derived snapshots
    private final long[] entries;            // sorted unsigned, plus a sentinel copy of entries[0]
    private final int entryCount;
    private final int[] bucketStart;         // bucket b holds entries whose top bits equal b
    private final int shift;

    private HashRing(RingHash hash, int virtualNodes, Direction direction, Map<String, Double> weightsById,
                     Map<String, long[]> knownPoints) {
        if (weightsById.isEmpty()) {
            throw new IllegalArgumentException("a ring needs at least one node");
        }
        if (weightsById.size() > MAX_NODES) {
            throw new IllegalArgumentException("a ring holds at most " + MAX_NODES + " nodes");
        }
        this.hash = hash;
        this.virtualNodes = virtualNodes;
        this.nearest = direction == Direction.NEAREST;
        this.nodeIds = weightsById.keySet().toArray(String[]::new);
        Arrays.sort(nodeIds);
        this.weights = new double[nodeIds.length];
        this.indexOf = new HashMap<>(nodeIds.length * 2);
        this.pointsByNode = new HashMap<>(nodeIds.length * 2);
        int total = 0;
        for (int i = 0; i < nodeIds.length; i++) {
            String id = nodeIds[i];
            weights[i] = weightsById.get(id);
            indexOf.put(id, i);
            long[] points = knownPoints.get(id);
            int count = pointCount(weights[i], virtualNodes);
            if (points == null || points.length != count) {
                points = pointsOf(hash, id, count);
            }
            pointsByNode.put(id, points);
            total += points.length;
        }
        this.entryCount = total;
        this.entries = new long[total + 1];
        int at = 0;
        for (int i = 0; i < nodeIds.length; i++) {
            for (long p : pointsByNode.get(nodeIds[i])) {
                entries[at++] = p | i;
            }
        }
        sortUnsigned(entries, total);
        if (nearest) {
            // each point's arc ends halfway to the next point clockwise (the last one's wraps)
            long first = entries[0] & POSITION_MASK;
            for (int i = 0; i < total; i++) {
                long point = entries[i] & POSITION_MASK;
                long next = i + 1 < total ? entries[i + 1] & POSITION_MASK : first;
                long halfGap = ((next - point) >>> 1) & POSITION_MASK;
                entries[i] = (point + halfGap) | (entries[i] & OWNER_MASK);
            }
            // only the last boundary can wrap past zero; sorting again puts it first
            sortUnsigned(entries, total);
        }
        entries[total] = entries[0];
        // two buckets per point (rounded up to a power of two): most buckets hold no point or one
        int bits = Math.max(4, Math.min(24, 65 - Long.numberOfLeadingZeros(total - 1L)));
        this.shift = 64 - bits;
        this.bucketStart = new int[(1 << bits) + 1];
        int e = 0;
        for (int b = 0; b < (1 << bits); b++) {
            bucketStart[b] = e;
            while (e < total && (int) (entries[e] >>> shift) == b) {
                e++;
            }
        }
        bucketStart[1 << bits] = total;
    }

    private static void sortUnsigned(long[] a, int length) {
        // flip the sign bit so that a signed sort is an unsigned sort, then flip it back
        for (int i = 0; i < length; i++) {
            a[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(a, 0, length);
        for (int i = 0; i < length; i++) {
            a[i] ^= Long.MIN_VALUE;
        }
    }

    static int pointCount(double weight, int virtualNodes) {
        return (int) Math.max(1, Math.round(weight * virtualNodes));
    }

    private static long[] pointsOf(RingHash hash, String id, int count) {
        long[] points = new long[count];
        for (int i = 0; i < count; i++) {
            points[i] = hash.hash(id + "#" + i) & POSITION_MASK;
        }
        return points;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A ring over the given nodes, weight 1 each, with the settings' hash, virtual nodes and direction. */
    public static HashRing of(HashingSettings settings, Iterable<String> nodes) {
        Builder b = settings.ringBuilder();
        for (String n : nodes) {
            b.node(n);
        }
        return b.build();
    }

    public static final class Builder {
        private RingHash hash = RingHash.MURMUR3;
        private int virtualNodes = 160;
        private Direction direction = Direction.NEAREST;
        private final Map<String, Double> weights = new HashMap<>();

        public Builder hash(RingHash hash) {
            this.hash = Objects.requireNonNull(hash);
            return this;
        }

        /** Points per node of weight 1 (default 160, as in libketama). */
        public Builder virtualNodes(int virtualNodes) {
            if (virtualNodes < 1 || virtualNodes > 1 << 16) {
                throw new IllegalArgumentException("virtual nodes must be in 1..65536, got " + virtualNodes);
            }
            this.virtualNodes = virtualNodes;
            return this;
        }

        /** Nearest point on either side (default) or the first point clockwise (the seed's ring). */
        public Builder direction(Direction direction) {
            this.direction = Objects.requireNonNull(direction);
            return this;
        }

        public Builder node(String id) {
            return node(id, 1.0);
        }

        public Builder node(String id, double weight) {
            weights.put(checkId(id), checkWeight(weight));
            return this;
        }

        public HashRing build() {
            return new HashRing(hash, virtualNodes, direction, weights, Map.of());
        }
    }

    private static String checkId(String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("node id must be a non-empty string");
        }
        return id;
    }

    private static double checkWeight(double weight) {
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("node weight must be a positive number, got " + weight);
        }
        return weight;
    }

    /** This membership plus {@code id} (or with its weight replaced). */
    public HashRing withNode(String id, double weight) {
        Map<String, Double> w = weightMap();
        w.put(checkId(id), checkWeight(weight));
        return new HashRing(hash, virtualNodes, direction(), w, pointsByNode);
    }

    public HashRing withNode(String id) {
        return withNode(id, 1.0);
    }

    /** This membership without {@code id}; the last node cannot be removed. */
    public HashRing withoutNode(String id) {
        Map<String, Double> w = weightMap();
        if (w.remove(id) == null) {
            return this;
        }
        return new HashRing(hash, virtualNodes, direction(), w, pointsByNode);
    }

    /** A ring over exactly {@code ids} (weight 1 for newcomers, kept weights otherwise), same settings. */
    public HashRing withMembers(Iterable<String> ids) {
        Map<String, Double> w = new HashMap<>();
        for (String id : ids) {
            Integer i = indexOf.get(id);
            w.put(checkId(id), i == null ? 1.0 : weights[i]);
        }
        return new HashRing(hash, virtualNodes, direction(), w, pointsByNode);
    }

    private Map<String, Double> weightMap() {
        Map<String, Double> w = new HashMap<>(nodeIds.length * 2);
        for (int i = 0; i < nodeIds.length; i++) {
            w.put(nodeIds[i], weights[i]);
        }
        return w;
    }

    // ---------------------------------------------------------------- lookups

    /** The ring point of a string key under this ring's hash. */
    public long hashKey(String key) {
        return hash.hash(key);
    }

    /** Owner number (index into {@link #nodes()}) of a pre-hashed key. Never allocates. */
    public int nodeIndexOf(long keyHash) {
        return (int) (entries[entryOf(keyHash)] & OWNER_MASK);
    }

    public String nodeOf(long keyHash) {
        return nodeIds[nodeIndexOf(keyHash)];
    }

    public String nodeOf(String key) {
        return nodeOf(hash.hash(key));
    }

    /** Index of the entry that owns the key (0 <= index <= entry count; the last is entry 0's copy). */
    int entryOf(long keyHash) {
        return firstAtOrAfter(keyHash);
    }

    /**
     * First entry whose boundary is at or after {@code point}, wrapping past the top of the circle
     * (the sentinel at {@code entryCount} is a copy of entry 0, so callers may read it directly).
     */
    private int firstAtOrAfter(long point) {
        int bucket = (int) (point >>> shift);
        int i = bucketStart[bucket];
        int end = bucketStart[bucket + 1];
        // most buckets hold no point or one: take that step without a data-dependent branch
        // (non-short-circuit '&'; entries[end] always exists thanks to the sentinel)
        i += (i < end & Long.compareUnsigned(entries[i] & POSITION_MASK, point) < 0) ? 1 : 0;
        while (i < end && Long.compareUnsigned(entries[i] & POSITION_MASK, point) < 0) {
            i++;
        }
        return i;
    }

    /**
     * The first {@code k} distinct nodes clockwise from the key's owning point (fewer if the ring is
     * smaller). Element 0 is {@link #nodeOf(long)}; a larger k only appends.
     */
    public List<String> replicasOf(long keyHash, int k) {
        int[] owners = new int[Math.min(k, nodeIds.length)];
        int found = replicaIndexes(keyHash, owners);
        List<String> out = new ArrayList<>(found);
        for (int i = 0; i < found; i++) {
            out.add(nodeIds[owners[i]]);
        }
        return out;
    }

    public List<String> replicasOf(String key, int k) {
        return replicasOf(hash.hash(key), k);
    }

    /** Fills {@code out} with distinct owner numbers clockwise from the key; returns how many. */
    public int replicaIndexes(long keyHash, int[] out) {
        int want = Math.min(out.length, nodeIds.length);
        int found = 0;
        int e = entryOf(keyHash);
        if (e == entryCount) {
            e = 0;
        }
        for (int steps = 0; found < want && steps < entryCount; steps++) {
            int owner = (int) (entries[e] & OWNER_MASK);
            boolean seen = false;
            for (int i = 0; i < found && !seen; i++) {
                seen = out[i] == owner;
            }
            if (!seen) {
                out[found++] = owner;
            }
            e = e + 1 == entryCount ? 0 : e + 1;
        }
        return found;
    }

    /** Owner of entry {@code e} (0 <= e <= entry count). */
    int ownerOfEntry(int e) {
        return (int) (entries[e] & OWNER_MASK);
    }

    int entryCount() {
        return entryCount;
    }

    // ---------------------------------------------------------------- membership

    /** Node ids in owner order (sorted). */
    public List<String> nodes() {
        return Collections.unmodifiableList(Arrays.asList(nodeIds));
    }

    public int size() {
        return nodeIds.length;
    }

    public int indexOf(String id) {
        Integer i = indexOf.get(id);
        return i == null ? -1 : i;
    }

    public boolean contains(String id) {
        return indexOf.containsKey(id);
    }

    public double weight(int nodeIndex) {
        return weights[nodeIndex];
    }

    public double totalWeight() {
        double t = 0;
        for (double w : weights) {
            t += w;
        }
        return t;
    }

    public RingHash hash() {
        return hash;
    }

    public int virtualNodes() {
        return virtualNodes;
    }

    public Direction direction() {
        return nearest ? Direction.NEAREST : Direction.CLOCKWISE;
    }

    @Override
    public String toString() {
        return "HashRing[" + nodeIds.length + " nodes, " + entryCount + " points, " + direction() + ", " + hash + "]";
    }
}
