package chat.hashing;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018). A node of
 * weight w may hold at most {@code ceil(c * m * w / W)} of m keys; a key whose owner is full walks
 * clockwise from its owning point to the first node with room. With c = 1.25 no node exceeds 125% of
 * its fair share, and because capacities only bind on the few fullest nodes, the mapping stays
 * almost exactly the plain ring's.
 */
public final class BoundedLoads {
    private BoundedLoads() {}

    /** Per-node capacity for {@code keys} keys under factor {@code c}. */
    public static int[] capacities(HashRing ring, int keys, double c) {
        if (!(c >= 1.0)) {
            throw new IllegalArgumentException("load factor must be >= 1.0, got " + c);
        }
        double total = ring.totalWeight();
        int[] caps = new int[ring.size()];
        for (int i = 0; i < caps.length; i++) {
            // the tiny epsilon keeps an exact integer product (e.g. 1.25 * 8) from rounding up by one
            caps[i] = Math.max(1, (int) Math.ceil(c * keys * ring.weight(i) / total - 1e-9));
        }
        return caps;
    }

    /**
     * Owner numbers for {@code keyHashes}, assigned in array order: the result depends on that order,
     * so callers that need the same answer everywhere pass keys in a canonical order (e.g. sorted).
     */
    public static int[] assign(HashRing ring, long[] keyHashes, double c) {
        int[] caps = capacities(ring, keyHashes.length, c);
        int[] load = new int[ring.size()];
        int[] owners = new int[keyHashes.length];
        for (int k = 0; k < keyHashes.length; k++) {
            owners[k] = place(ring, keyHashes[k], caps, load);
        }
        return owners;
    }

    /**
     * Places one key: its ring owner if that node has room, else the first node clockwise with room.
     * Increments the chosen node's load. Requires that some node has room.
     */
    public static int place(HashRing ring, long keyHash, int[] capacities, int[] load) {
        int n = ring.entryCount();
        int e = ring.entryOf(keyHash);
        if (e == n) {
            e = 0;
        }
        for (int steps = 0; steps < n; steps++) {
            int owner = ring.ownerOfEntry(e);
            if (load[owner] < capacities[owner]) {
                load[owner]++;
                return owner;
            }
            e = e + 1 == n ? 0 : e + 1;
        }
        throw new IllegalStateException("every node is at capacity");
    }
}
