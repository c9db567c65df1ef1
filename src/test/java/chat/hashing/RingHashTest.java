package chat.hashing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RingHashTest {

    /** Every tail length and several block counts, random bytes: must equal both reference libraries. */
    @Test
    void murmur3MatchesGuavaAndHash4jForEveryLengthUpTo200() {
        SplittableRandom rnd = new SplittableRandom(2024);
        var hash4j = com.dynatrace.hash4j.hashing.Hashing.murmur3_128();
        for (int len = 0; len <= 200; len++) {
            for (int round = 0; round < 20; round++) {
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                long ours = Murmur3.hash64(data);
                assertEquals(Hashing.murmur3_128().hashBytes(data).asLong(), ours, "guava, length " + len);
                assertEquals(hash4j.hashBytesToLong(data), ours, "hash4j, length " + len);
            }
        }
    }

    @Test
    void murmur3HashesASliceLikeACopy() {
        byte[] data = "..parley-node-7#13..".getBytes(StandardCharsets.UTF_8);
        byte[] slice = "parley-node-7#13".getBytes(StandardCharsets.UTF_8);
        assertEquals(Murmur3.hash64(slice), Murmur3.hash64(data, 2, slice.length));
    }

    /**
     * Pinned values: if any of these change, every key in every deployed cluster moves. They were
     * produced once by this implementation, agree with Guava, and "a" is the reference's published value.
     */
    @ParameterizedTest
    @CsvSource({
            "'', 0x0000000000000000",
            "a, 0x85555565f6597889",
            "parley, 0xa15c5285005c73e3",
            "10.0.0.1:2552#0, 0xa4e8c5f6c2434650",
            "The quick brown fox jumps over the lazy dog, 0xe34bbc7bbc071b6c",
    })
    void murmur3PinnedVectors(String text, String expected) {
        long actual = RingHash.MURMUR3.hash(text);
        assertEquals(Long.parseUnsignedLong(expected.substring(2), 16), actual, "murmur3(" + text + ")");
    }

    @Test
    void sha256IsTheFirstEightBytesBigEndian() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de ... (FIPS 180-2 example)
        assertEquals(0xba7816bf8f01cfeaL, RingHash.SHA256.hash("abc"));
        // SHA-256("") = e3b0c442 98fc1c14 ...
        assertEquals(0xe3b0c44298fc1c14L, RingHash.SHA256.hash(""));
    }

    @Test
    void namesFromConfig() {
        assertEquals(RingHash.MURMUR3, RingHash.fromName("murmur3"));
        assertEquals(RingHash.SHA256, RingHash.fromName("SHA-256"));
        var e = assertThrows(IllegalArgumentException.class, () -> RingHash.fromName("md5"));
        assertTrue(e.getMessage().contains("murmur3 or sha256"), e.getMessage());
    }
}
