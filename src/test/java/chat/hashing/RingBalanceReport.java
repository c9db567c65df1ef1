package chat.hashing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints the balance and movement table of docs/benchmarks-hashing.md. Not a test: run with
 * {@code java -cp target/test-classes:target/classes:$(cat target/cp.txt) chat.hashing.RingBalanceReport [seeds]}.
 * Every figure is a pure function of the seeds, so the table is reproducible bit for bit.
 *
 * <p>Balance: hottest node / average over 10^6 uniformly random pre-hashed keys, per seed (a seed
 * picks fresh node ids, so a fresh ring). Movement: add one node to n, fraction of keys that moved,
 * divided by the optimum 1/(n+1); also checks every moved key went to the new node.
 */
public final class RingBalanceReport {
    static final int KEYS = 1_000_000;

    public static void main(String[] args) {
        int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        long[] keys = randomKeys(KEYS, 42);
        System.out.printf(Locale.ROOT, "%d keys, %d seeds per row, 160 virtual nodes%n%n", KEYS, seeds);
        System.out.println("| nodes | point | hottest/avg median | p95 | max | bounded c=1.25 max | add: moved/(1/(n+1)) mean | p95 | all to new node | remove: only its keys |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---|---|");
        // the default, then the seed's classic ring
        for (HashRing.Direction direction : HashRing.Direction.values()) {
            for (int n : new int[] {10, 100, 1000}) {
                row(n, direction, n == 1000 ? Math.max(10, seeds / 3) : seeds, keys);
            }
        }
        shardRows(seeds, 1000);
        shardRows(seeds, 256);
    }

    /**
     * Shard placement over a shard space (bounded loads c = 1.25): what a 3 -> 4 and a 4 -> 3 change
     * moves, and in how many seeds any shard moved between two old members (the cap spilling over).
     */
    public static void shardRows(int seeds, int shardCount) {
        List<String> shards = new ArrayList<>();
        for (int s = 0; s < shardCount; s++) {
            shards.add(String.valueOf(s));
        }
        double[] grow = new double[seeds];
        double[] shrink = new double[seeds];
        int strayGrow = 0;
        int strayShrink = 0;
        int seedsWithStrays = 0;
        for (int s = 0; s < seeds; s++) {
            List<String> members = HashRingTest.nodeIds(4, 5000L + s);
            ShardPlacement placement = new ShardPlacement(HashingSettings.DEFAULTS, "User");
            var three = placement.desiredOwners(members.subList(0, 3), shards);
            var four = placement.desiredOwners(members, shards);
            int moved = 0;
            int leaving = 0;
            int straysBefore = strayGrow;
            for (String shard : shards) {
                if (!three.get(shard).equals(four.get(shard))) {
                    moved++;
                    strayGrow += four.get(shard).equals(members.get(3)) ? 0 : 1;
                }
                if (four.get(shard).equals(members.get(3))) {
                    leaving++;
                } else if (!four.get(shard).equals(three.get(shard))) {
                    strayShrink++;   // 4 -> 3 is the same pair of placements read the other way
                }
            }
            grow[s] = moved / (double) shardCount;
            shrink[s] = leaving / (double) shardCount;
            seedsWithStrays += strayGrow > straysBefore ? 1 : 0;
        }
        Arrays.sort(grow);
        System.out.printf(Locale.ROOT, "%nShards (%d shards, c = 1.25, %d seeds): 3 -> 4 members moves %.3f of them"
                        + " (median; p5 %.3f, p95 %.3f, max %.3f; optimum 0.250), shards moved to an old member: %d"
                        + " (in %d seeds); 4 -> 3 moves the leaving member's %.3f (median), shards of staying members"
                        + " moved: %d%n",
                shardCount, seeds, percentile(grow, 50), percentile(grow, 5), percentile(grow, 95), grow[seeds - 1],
                strayGrow, seedsWithStrays, median(shrink), strayShrink);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return percentile(sorted, 50);
    }

    static void row(int n, HashRing.Direction direction, int seeds, long[] keys) {
        double[] hottest = new double[seeds];
        double[] moved = new double[seeds];
        double boundedMax = 0;
        boolean allToNew = true;
        boolean removeOnlyItsKeys = true;
        int[] before = new int[keys.length];
        for (int s = 0; s < seeds; s++) {
            SplittableRandom rnd = new SplittableRandom(1000L * n + s);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < n + 1; i++) {
                ids.add("10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + ":" + (2552 + i));
            }
            HashRing.Builder b = HashRing.builder().direction(direction);
            ids.subList(0, n).forEach(b::node);
            HashRing ring = b.build();
            int[] load = new int[n];
            for (int k = 0; k < keys.length; k++) {
                String owner = ring.nodeOf(keys[k]);
                before[k] = ring.indexOf(owner);
                load[before[k]]++;
            }
            hottest[s] = Arrays.stream(load).max().orElseThrow() / ((double) keys.length / n);
            if (s < 3) {
                int[] bounded = BoundedLoads.assign(ring, keys, 1.25);
                int[] bl = new int[n];
                for (int o : bounded) {
                    bl[o]++;
                }
                boundedMax = Math.max(boundedMax, Arrays.stream(bl).max().orElseThrow() / ((double) keys.length / n));
            }
            String newcomer = ids.get(n);
            HashRing grown = ring.withNode(newcomer);
            int movedKeys = 0;
            for (int k = 0; k < keys.length; k++) {
                String was = ring.nodes().get(before[k]);
                String now = grown.nodeOf(keys[k]);
                if (!now.equals(was)) {
                    movedKeys++;
                    allToNew &= now.equals(newcomer);
                }
            }
            moved[s] = movedKeys / (double) keys.length * (n + 1);
            if (s < 3) {
                String leaving = ids.get(s);
                HashRing shrunk = ring.withoutNode(leaving);
                for (int k = 0; k < keys.length; k++) {
                    String was = ring.nodes().get(before[k]);
                    removeOnlyItsKeys &= was.equals(leaving) || shrunk.nodeOf(keys[k]).equals(was);
                }
            }
        }
        Arrays.sort(hottest);
        Arrays.sort(moved);
        System.out.printf(Locale.ROOT, "| %d | %s | %.3f | %.3f | %.3f | %.3f | %.4f | %.3f | %s | %s |%n",
                n, direction.name().toLowerCase(Locale.ROOT), percentile(hottest, 50), percentile(hottest, 95), hottest[seeds - 1], boundedMax,
                Arrays.stream(moved).average().orElseThrow(), percentile(moved, 95),
                allToNew ? "yes" : "NO", removeOnlyItsKeys ? "yes" : "NO");
    }

    static double percentile(double[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static long[] randomKeys(int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] keys = new long[count];
        for (int i = 0; i < count; i++) {
            keys[i] = rnd.nextLong();
        }
        return keys;
    }
}
