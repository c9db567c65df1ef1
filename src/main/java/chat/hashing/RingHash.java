package chat.hashing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * How strings (node ids, keys) become 64-bit ring points. Both choices are pure functions of the
 * UTF-8 bytes, so every JVM and every future version places things identically.
 */
public enum RingHash {
    /** MurmurHash3 x64 128, first half. Fast; the default. */
    MURMUR3 {
        @Override
        public long hash(byte[] bytes) {
            return Murmur3.hash64(bytes);
        }
    },
    /** The seed's choice: the first 8 bytes (big-endian) of SHA-256. About 10x slower; no better spread. */
    SHA256 {
        private final ThreadLocal<MessageDigest> digests = ThreadLocal.withInitial(() -> {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime must provide SHA-256", e);
            }
        });

        @Override
        public long hash(byte[] bytes) {
            byte[] d = digests.get().digest(bytes);
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (d[i] & 0xffL);
            }
            return h;
        }
    };

    public abstract long hash(byte[] bytes);

    public long hash(String text) {
        return hash(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Accepts the config spellings {@code murmur3} and {@code sha256} (case-insensitive, '-' ignored). */
    public static RingHash fromName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace("-", "");
        return switch (n) {
            case "murmur3", "murmur3x64128", "murmur" -> MURMUR3;
            case "sha256" -> SHA256;
            default -> throw new IllegalArgumentException(
                    "unknown ring hash '" + name + "': use murmur3 or sha256");
        };
    }
}
