package chat.media;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies media URLs: {@code /api/v1/media/<pathId>?exp=<epochSeconds>&sig=<base64url HMAC-SHA256>}
 * over {@code "parley-media-v1\n" + mediaId + "\n" + variant + "\n" + exp}. Anyone holding the key (nodes, edges)
 * verifies on its own, without a database.
 */
public final class UrlSigner {
  public static final String PATH_PREFIX = "/api/v1/media/";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  public enum Verdict { VALID, EXPIRED, INVALID }

  private final SecretKeySpec key;
  /** Mac instances are not thread-safe and costly to look up: one per thread, keyed once (hit-path cost). */
  private final ThreadLocal<Mac> macs;

  public UrlSigner(byte[] key) {
    if (key.length < 32) throw new IllegalArgumentException("media signing key must be at least 32 bytes");
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(this.key);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
  }

  public String signature(MediaId id, long expiresAtSeconds) {
    return B64.encodeToString(mac(id, expiresAtSeconds));
  }

  public String signedPath(MediaId id, long expiresAtSeconds) {
    return PATH_PREFIX + id.pathId() + "?exp=" + expiresAtSeconds + "&sig=" + signature(id, expiresAtSeconds);
  }

  /** Checks the query parameters of a signed URL for the given id. */
  public Verdict verify(MediaId id, String exp, String sig, long nowMillis) {
    if (exp == null || sig == null || exp.length() > 19 || sig.length() > 64) return Verdict.INVALID;
    long expiresAt;
    byte[] presented;
    try {
      expiresAt = Long.parseLong(exp);
      presented = B64D.decode(sig);
    } catch (IllegalArgumentException malformed) {
      return Verdict.INVALID;
    }
    if (!MessageDigest.isEqual(presented, mac(id, expiresAt))) return Verdict.INVALID;
    return expiresAt * 1000 <= nowMillis ? Verdict.EXPIRED : Verdict.VALID;
  }

  private byte[] mac(MediaId id, long expiresAtSeconds) {
    String payload = "parley-media-v1\n" + id.mediaId() + "\n" + id.variant().code() + "\n" + expiresAtSeconds;
    return macs.get().doFinal(payload.getBytes(StandardCharsets.UTF_8));
  }
}
