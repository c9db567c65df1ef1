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
 * hash of {@code "<id>#<i>"} with its low 16 bits cleared. Each point is stored as one {@code long}
 * entry, {@code position | ownerIndex}, where owners are numbered in id order: sorting entries
 * (unsigned) therefore sorts by position then by node id, independent of insertion order. A prefix
 * index over the top bits of the circle (two buckets per point) narrows the search to a bucket of
 * mostly zero or one entry, so a lookup touches two cache lines per probe whatever the ring size.
 *
 * <p>Probes. A key is placed at {@code probes} points (the key hash itself and bijective remixes of
 * it); each probe finds the first entry clockwise, and the key goes to the entry nearest its probe
 * (Appleton and O'Reilly's multi-probe consistent hashing). One probe is the seed's classic ring;
 * two probes give each node the balance of twice as many virtual nodes at the price of one more,
 * independent (hence overlapped) memory access. Either way the owner of a key is the node that
 * minimises a score that depends only on the key and that node, so adding a node moves keys only to
 * it, removing one moves only its keys, and any insertion order gives the same mapping.
 */
public final class HashRing {
    /** Owners live in the low bits of an entry, so a ring holds at most this many nodes. */
    public static final int MAX_NODES = 1 << 16;
    static final long OWNER_MASK = MAX_NODES - 1;
    static final long POSITION_MASK = ~OWNER_MASK;
    private static final long PROBE_STEP = 0x9E3779B97F4A7C15L;

    private final RingHash hash;
    private final int virtualNodes;
    private final int probes;
    private final String[] nodeIds;          // sorted; index = owner number
    private final double[] weights;          // by owner
    private final Map<String, Integer> indexOf;
    private final Map<String, long[]> pointsByNode; // positions only, reused by derived snapshots
    private final long[] entries;            // sorted unsigned, plus a sentinel copy of entries[0]
    private final int entryCount;
    private final int[] bucketStart;         // bucket b holds entries whose top bits equal b
    private final int shift;

    private HashRing(RingHash hash, int virtualNodes, int probes, Map<String, Double> weightsById,
                     Map<String, long[]> knownPoints) {
        if (weightsById.isEmpty()) {
            throw new IllegalArgumentException("a ring needs at least one node");
        }
        if (weightsById.size() > MAX_NODES) {
            throw new IllegalArgumentException("a ring holds at most " + MAX_NODES + " nodes");
        }
        this.hash = hash;
        this.virtualNodes = virtualNodes;
        this.probes = probes;
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
                // flip the sign bit so that a signed sort is an unsigned sort; flipped back below
                entries[at++] = (p | i) ^ Long.MIN_VALUE;
            }
        }
        Arrays.sort(entries, 0, total);
        for (int i = 0; i < total; i++) {
            entries[i] ^= Long.MIN_VALUE;
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

    /** A ring over the given nodes, weight 1 each, with the settings' hash, virtual nodes and probes. */
    public static HashRing of(HashingSettings settings, Iterable<String> nodes) {
        Builder b = builder().hash(settings.hash()).virtualNodes(settings.virtualNodes()).probes(settings.probes());
        for (String n : nodes) {
            b.node(n);
        }
        return b.build();
    }

    public static final class Builder {
        private RingHash hash = RingHash.MURMUR3;
        private int virtualNodes = 160;
        private int probes = 2;
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

        /** Probe points per key: 1 is the classic ring, 2 (default) halves the load variance. */
        public Builder probes(int probes) {
            if (probes < 1 || probes > 8) {
                throw new IllegalArgumentException("probes must be in 1..8, got " + probes);
            }
            this.probes = probes;
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
            return new HashRing(hash, virtualNodes, probes, weights, Map.of());
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
        return new HashRing(hash, virtualNodes, probes, w, pointsByNode);
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
        return new HashRing(hash, virtualNodes, probes, w, pointsByNode);
    }

    /** A ring over exactly {@code ids} (weight 1 for newcomers, kept weights otherwise), same settings. */
    public HashRing withMembers(Iterable<String> ids) {
        Map<String, Double> w = new HashMap<>();
        for (String id : ids) {
            Integer i = indexOf.get(id);
            w.put(checkId(id), i == null ? 1.0 : weights[i]);
        }
        return new HashRing(hash, virtualNodes, probes, w, pointsByNode);
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

    /** Index of the entry that owns the key: the nearest entry clockwise over all probes. */
    int entryOf(long keyHash) {
        int best = firstAtOrAfter(keyHash);
        if (probes == 1) {
            return best;
        }
        // probe 1 written out: the common case, and independent of probe 0 so the CPU overlaps both
        long bestDistance = (entries[best] & POSITION_MASK) - keyHash;
        long point = probePoint(keyHash, 1);
        int e = firstAtOrAfter(point);
        long distance = (entries[e] & POSITION_MASK) - point;
        // which probe wins is a coin toss, so select rather than branch
        boolean closer = Long.compareUnsigned(distance, bestDistance) < 0;
        best = closer ? e : best;
        bestDistance = closer ? distance : bestDistance;
        for (int p = 2; p < probes; p++) {
            point = probePoint(keyHash, p);
            e = firstAtOrAfter(point);
            distance = (entries[e] & POSITION_MASK) - point;
            if (Long.compareUnsigned(distance, bestDistance) < 0) {
                best = e;
                bestDistance = distance;
            }
        }
        return best;
    }

    static long probePoint(long keyHash, int probe) {
        return Murmur3.fmix64(keyHash + probe * PROBE_STEP);
    }

    /**
     * First entry whose position is at or after {@code point}, wrapping past the top of the circle
     * (the sentinel at {@code entryCount} is a copy of entry 0, so callers may read it directly and
     * the unsigned difference {@code position - point} is still the clockwise distance).
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

    public int probes() {
        return probes;
    }

    @Override
    public String toString() {
        return "HashRing[" + nodeIds.length + " nodes, " + entryCount + " points, " + probes + " probe(s), " + hash + "]";
    }
}
