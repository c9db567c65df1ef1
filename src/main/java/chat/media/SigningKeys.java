package chat.media;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/** Where the media signing key comes from: env, then config, then (nodes only) a key file in the data dir. */
public final class SigningKeys {
  public static final String ENV = "PARLEY_MEDIA_SIGNING_KEY";
  static final String KEY_FILE = "media-signing.key";

  private SigningKeys() {}

  /** The shared key from env or config, if one is set. Its UTF-8 bytes are the HMAC key. */
  public static Optional<byte[]> configured(String configValue) {
    String env = System.getenv(ENV);
    String chosen = env != null && !env.isBlank() ? env : configValue;
    if (chosen == null || chosen.isBlank()) return Optional.empty();
    byte[] key = chosen.trim().getBytes(StandardCharsets.UTF_8);
    if (key.length < 32)
      throw new IllegalArgumentException("media signing key (" + ENV + " / parley.media.signing-key) must be at least 32 characters");
    return Optional.of(key);
  }

  /** For a node: the configured key, or else one generated once and kept in {@code dataDir/media-signing.key}. */
  public static byte[] forNode(String configValue, Path dataDir) {
    Optional<byte[]> configured = configured(configValue);
    if (configured.isPresent()) return configured.get();
    Path file = dataDir.resolve(KEY_FILE);
    try {
      Files.createDirectories(dataDir);
      if (!Files.exists(file)) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path staged = Files.createTempFile(dataDir, "media-signing", ".tmp");
        try {
          Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
          // the key is still usable; only its file mode could not be narrowed
        }
        Files.writeString(staged, encoded + "\n");
        try {
          Files.createLink(file, staged);
        } catch (FileAlreadyExistsException anotherProcessWon) {
          // keep the key that is already there so that URLs stay valid
        } finally {
          Files.deleteIfExists(staged);
        }
      }
      return Files.readString(file).trim().getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create media signing key " + file, e);
    }
  }
}
