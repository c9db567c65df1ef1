package chat.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * Token bucket per user, shared by all of that user's sockets on this node. Buckets of users who
 * went quiet are evicted, so memory follows active users, not everyone who ever connected.
 */
public final class RateLimiter {
  private final double perSecond;
  private final double burst;
  private final Cache<String, Bucket> buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(10)).build();

  public RateLimiter(double perSecond, double burst) {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Takes one token for {@code userId}; false when the user is over the limit. */
  public boolean tryAcquire(String userId) {
    return buckets.get(userId, id -> new Bucket(burst, System.nanoTime())).take(perSecond, burst);
  }

  private static final class Bucket {
    private double tokens;
    private long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }

    synchronized boolean take(double perSecond, double burst) {
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (now - refilledAt) * perSecond / 1e9);
      refilledAt = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }
  }
}
