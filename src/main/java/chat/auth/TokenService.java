package chat.auth;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Issues and verifies signed, expiring session tokens: {@code base64url(userId:expiresAt).base64url(hmac)}.
 * Stateless, so any node holding the same secret verifies tokens issued by any other.
 */
public final class TokenService {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final long ttlMillis;

  public record Token(String token, String userId, long expiresAt) {}

  public TokenService(byte[] secret, long ttlMillis) {
    if (secret.length < 32) throw new IllegalArgumentException("token secret must be at least 32 bytes");
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    this.ttlMillis = ttlMillis;
  }

  public Token issue(String userId, long now) {
    long expiresAt = now + ttlMillis;
    String payload = B64.encodeToString((userId + ":" + expiresAt).getBytes(StandardCharsets.UTF_8));
    return new Token(payload + "." + B64.encodeToString(mac(payload)), userId, expiresAt);
  }

  /** The user the token was issued to, when the signature is valid and it has not expired. */
  public Optional<String> verify(String token, long now) {
    if (token == null || token.length() > 512) return Optional.empty();
    int dot = token.indexOf('.');
    if (dot <= 0) return Optional.empty();
    String payload = token.substring(0, dot);
    byte[] signature;
    String decoded;
    try {
      signature = B64D.decode(token.substring(dot + 1));
      decoded = new String(B64D.decode(payload), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return Optional.empty();
    }
    if (!MessageDigest.isEqual(signature, mac(payload))) return Optional.empty();
    int colon = decoded.lastIndexOf(':');
    if (colon <= 0) return Optional.empty();
    long expiresAt;
    try {
      expiresAt = Long.parseLong(decoded.substring(colon + 1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    if (expiresAt <= now) return Optional.empty();
    return Optional.of(decoded.substring(0, colon));
  }

  private byte[] mac(String payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(payload.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
