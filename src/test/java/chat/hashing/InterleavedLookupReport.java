package chat.hashing;

import com.dynatrace.hash4j.consistent.ConsistentBucketHasher;
import com.dynatrace.hash4j.consistent.ConsistentHashing;
import com.dynatrace.hash4j.random.PseudoRandomGeneratorProvider;
import com.google.common.hash.Hashing;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.LongToIntFunction;

/**
 * A companion to {@link HashRingBenchmark} for a crowded machine: JMH runs one benchmark after the
 * other, so a neighbour's burst can land on one of them only. Here the four lookups take turns in
 * slices of 2^16 lookups (about a millisecond), many times over, and each gets its fastest slice
 * (the one least disturbed) and its median slice. Not a substitute for JMH; a cross-check of ratios.
 * Run: {@code java -cp target/test-classes:target/classes:$(cat target/cp.txt) chat.hashing.InterleavedLookupReport}
 */
public final class InterleavedLookupReport {
    private static int sink;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        long[] keys = RingBalanceReport.randomKeys(1 << 16, 7);
        System.out.println("| nodes | lookup | fastest slice ns/op | median slice ns/op |");
        System.out.println("|---:|---|---:|---:|");
        for (int n : new int[] {10, 100, 1000}) {
            HashRing.Builder b = HashRing.builder();
            for (int i = 0; i < n; i++) {
                b.node("10.0." + (i / 250) + "." + (i % 250) + ":2552");
            }
            HashRing nearest = b.build();
            HashRing clockwise = b.direction(HashRing.Direction.CLOCKWISE).build();
            ConsistentBucketHasher jump = ConsistentHashing.jumpHash(PseudoRandomGeneratorProvider.splitMix64_V1());
            String[] names = {"ring (nearest point)", "ring classic (clockwise)", "Guava consistentHash", "hash4j jumpHash"};
            int nodes = n;
            LongToIntFunction[] lookups = {
                    nearest::nodeIndexOf, clockwise::nodeIndexOf,
                    k -> Hashing.consistentHash(k, nodes), k -> jump.getBucket(k, nodes)};
            long[][] slices = new long[lookups.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int l = 0; l < lookups.length; l++) {
                    LongToIntFunction f = lookups[l];
                    long t0 = System.nanoTime();
                    int s = 0;
                    for (long k : keys) {
                        s += f.applyAsInt(k);
                    }
                    slices[l][r] = System.nanoTime() - t0;
                    sink += s;
                }
            }
            for (int l = 0; l < lookups.length; l++) {
                long[] t = slices[l];
                Arrays.sort(t, rounds / 4, rounds);   // the first quarter is warm-up
                long[] measured = Arrays.copyOfRange(t, rounds / 4, rounds);
                System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %.1f |%n", n, names[l],
                        measured[0] / (double) keys.length, measured[measured.length / 2] / (double) keys.length);
            }
        }
        if (sink == 42) {
            System.out.println();
        }
    }
}
