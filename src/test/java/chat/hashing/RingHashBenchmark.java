package chat.hashing;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Hashing a typical key (a 36-character media id as UTF-8 bytes): MurmurHash3 against SHA-256. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RingHashBenchmark {
    private final byte[] key = "0b7d6c2e-51f4-4f8e-9a3b-7c1d2e3f4a5b".getBytes(StandardCharsets.UTF_8);

    @Benchmark
    public long murmur3() {
        return RingHash.MURMUR3.hash(key);
    }

    @Benchmark
    public long sha256() {
        return RingHash.SHA256.hash(key);
    }
}
