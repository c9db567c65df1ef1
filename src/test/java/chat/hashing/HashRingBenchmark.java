package chat.hashing;

import com.dynatrace.hash4j.consistent.ConsistentBucketHasher;
import com.dynatrace.hash4j.consistent.ConsistentHashing;
import com.dynatrace.hash4j.random.PseudoRandomGeneratorProvider;
import com.google.common.hash.Hashing;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Lookup of a pre-hashed key: our ring (nearest point, the default; first point clockwise, the seed's
 * classic ring) against
 * Guava's {@code Hashing.consistentHash} and hash4j's jump hash, same keys, same run. Keys cycle
 * through 64 Ki random longs so the ring is read at random places, as in production. The command
 * is in docs/benchmarks-hashing.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HashRingBenchmark {
    private static final int KEY_MASK = (1 << 16) - 1;

    @Param({"10", "100", "1000"})
    public int nodes;

    private HashRing nearest;
    private HashRing clockwise;
    private ConsistentBucketHasher jump;
    private long[] keys;
    private int next;

    @Setup
    public void setUp() {
        HashRing.Builder b = HashRing.builder().virtualNodes(160);
        for (int i = 0; i < nodes; i++) {
            b.node("10.0." + (i / 250) + "." + (i % 250) + ":2552");
        }
        nearest = b.build();
        clockwise = b.direction(HashRing.Direction.CLOCKWISE).build();
        jump = ConsistentHashing.jumpHash(PseudoRandomGeneratorProvider.splitMix64_V1());
        SplittableRandom rnd = new SplittableRandom(7);
        keys = new long[KEY_MASK + 1];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = rnd.nextLong();
        }
    }

    private long nextKey() {
        return keys[next++ & KEY_MASK];
    }

    @Benchmark
    public int ring() {
        return nearest.nodeIndexOf(nextKey());
    }

    @Benchmark
    public int ringClassic() {
        return clockwise.nodeIndexOf(nextKey());
    }

    @Benchmark
    public int guavaConsistentHash() {
        return Hashing.consistentHash(nextKey(), nodes);
    }

    @Benchmark
    public int hash4jJumpHash() {
        return jump.getBucket(nextKey(), nodes);
    }
}
