package chat.ephemeral;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crypto-shredding for disappearing messages. A temporary message's body is stored only as AES-256-GCM
 * ciphertext, under a key derived (HMAC-SHA256) from the secret of the minute in which the message
 * expires and the message id. Minute secrets live in one small table; once a minute has passed, its
 * row is deleted and every body that expired in it is unreadable for good, wherever its ciphertext
 * lies (journal rows, snapshots, backups). The plaintext never reaches storage at all.
 *
 * <p>Readers also refuse to open a body whose {@code expiresAt} has passed, so expiry is exact in
 * every API even in the seconds before the reaper deletes the secret.
 */
public final class Sealer {
  private static final Logger log = LoggerFactory.getLogger(Sealer.class);
  private static final String PREFIX = "sealed:v1:";
  private static final long MINUTE = 60_000L;
  private static final int IV_BYTES = 12;

  private final DataSource db;
  private final SecureRandom random = new SecureRandom();
  /** Minute -> secret; absent entries are loaded or created on demand. */
  private final Cache<Long, byte[]> secrets = Caffeine.newBuilder().maximumSize(200_000).expireAfterAccess(Duration.ofHours(1)).build();

  public Sealer(DataSource db) {
    this.db = db;
  }

  /** The stored form of {@code body} for a message that expires at {@code expiresAt}. */
  public String seal(String msgId, long expiresAt, String body) {
    long minute = Math.floorDiv(expiresAt, MINUTE);
    byte[] secret = secretFor(minute, true);
    try {
      byte[] iv = new byte[IV_BYTES];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, messageKey(secret, msgId), new GCMParameterSpec(128, iv));
      cipher.updateAAD(msgId.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(body.getBytes(StandardCharsets.UTF_8));
      ByteBuffer out = ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed);
      return PREFIX + minute + ":" + Base64.getEncoder().encodeToString(out.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  public static boolean isSealed(String stored) {
    return stored != null && stored.startsWith(PREFIX);
  }

  /** The body, while the message has not expired and its minute secret still exists. */
  public Optional<String> open(String msgId, long expiresAt, String stored, long now) {
    if (!isSealed(stored)) return Optional.ofNullable(stored);
    if (now >= expiresAt) return Optional.empty();
    int colon = stored.indexOf(':', PREFIX.length());
    long minute = Long.parseLong(stored.substring(PREFIX.length(), colon));
    byte[] secret = secretFor(minute, false);
    if (secret == null) return Optional.empty();
    try {
      byte[] raw = Base64.getDecoder().decode(stored.substring(colon + 1));
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, messageKey(secret, msgId), new GCMParameterSpec(128, raw, 0, IV_BYTES));
      cipher.updateAAD(msgId.getBytes(StandardCharsets.UTF_8));
      return Optional.of(new String(cipher.doFinal(raw, IV_BYTES, raw.length - IV_BYTES), StandardCharsets.UTF_8));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Deletes the secrets of every minute that has fully passed; returns how many were shredded. */
  public int shredExpired(long now) {
    long lastDeadMinute = Math.floorDiv(now, MINUTE) - 1;
    try (Connection c = db.getConnection();
         PreparedStatement delete = c.prepareStatement("DELETE FROM parley_expiry_secrets WHERE expiry_minute <= ?")) {
      delete.setLong(1, lastDeadMinute);
      int shredded = delete.executeUpdate();
      secrets.asMap().keySet().removeIf(minute -> minute <= lastDeadMinute);
      return shredded;
    } catch (SQLException e) {
      log.warn("could not shred expired secrets: {}", e.getMessage());
      return 0;
    }
  }

  private byte[] secretFor(long minute, boolean create) {
    byte[] cached = secrets.getIfPresent(minute);
    if (cached != null) return cached;
    synchronized (this) {
      cached = secrets.getIfPresent(minute);
      if (cached != null) return cached;
      byte[] secret = load(minute);
      if (secret == null && create) secret = insert(minute);
      if (secret != null) secrets.put(minute, secret);
      return secret;
    }
  }

  private byte[] load(long minute) {
    try (Connection c = db.getConnection();
         PreparedStatement q = c.prepareStatement("SELECT secret FROM parley_expiry_secrets WHERE expiry_minute = ?")) {
      q.setLong(1, minute);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getBytes(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read expiry secrets: " + e.getMessage(), e);
    }
  }

  private byte[] insert(long minute) {
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    try (Connection c = db.getConnection();
         PreparedStatement ins = c.prepareStatement("INSERT INTO parley_expiry_secrets (expiry_minute, secret) VALUES (?, ?)")) {
      ins.setLong(1, minute);
      ins.setBytes(2, secret);
      ins.executeUpdate();
      return secret;
    } catch (SQLException raced) {
      // another node created this minute's secret first: use theirs
      byte[] existing = load(minute);
      if (existing == null) throw new IllegalStateException("cannot create expiry secret: " + raced.getMessage(), raced);
      return existing;
    }
  }

  private static SecretKeySpec messageKey(byte[] secret, String msgId) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    return new SecretKeySpec(mac.doFinal(msgId.getBytes(StandardCharsets.UTF_8)), "AES");
  }
}
