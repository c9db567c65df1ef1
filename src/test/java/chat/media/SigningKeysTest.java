package chat.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeysTest {
  @TempDir Path dataDir;

  @Test
  void aNodeWithoutAConfiguredKeyGeneratesOneAndKeepsIt() throws Exception {
     // only meaningful when the environment does not force a key
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(SigningKeys.ENV) == null);
    byte[] first = SigningKeys.forNode("", dataDir);
    assertTrue(Files.exists(dataDir.resolve(SigningKeys.KEY_FILE)));
    byte[] again = SigningKeys.forNode("", dataDir);
    assertArrayEquals(first, again, "a restarted node keeps signing with the same key");

    MediaId id = MediaId.parse(MediaId.newMediaId()).orElseThrow();
    UrlSigner node = new UrlSigner(first);
    long exp = System.currentTimeMillis() / 1000 + 60;
    String sig = node.signature(id, exp);
    assertEquals(UrlSigner.Verdict.VALID, new UrlSigner(again).verify(id, String.valueOf(exp), sig, System.currentTimeMillis()));
    assertEquals(UrlSigner.Verdict.INVALID, new UrlSigner("another-key-of-at-least-32-characters!!".getBytes())
        .verify(id, String.valueOf(exp), sig, System.currentTimeMillis()));
  }

  @Test
  void shortConfiguredKeysAreRefused() {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(SigningKeys.ENV) == null);
    assertThrows(IllegalArgumentException.class, () -> SigningKeys.forNode("short", dataDir));
  }
}
