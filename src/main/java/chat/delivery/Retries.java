package chat.delivery;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** The retry discipline shared by every outbox: exponential backoff with jitter, and message ids. */
public final class Retries {
  private Retries() {}

  /** Delay before attempt {@code attempt + 1}: min * 2^(attempt-1), capped at max, plus up to 20% jitter. */
  public static Duration backoff(int attempt, Duration min, Duration max) {
    long delay = Math.min(max.toMillis(), min.toMillis() << Math.min(Math.max(attempt, 1) - 1, 20));
    // jitter: retries of many senders toward one recovering recipient spread out
    return Duration.ofMillis(delay + ThreadLocalRandom.current().nextLong(Math.max(1, delay / 5)));
  }

  /** A new, practically unique message id (128 random bits). */
  public static String newMessageId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "m" + Long.toUnsignedString(r.nextLong(), 36) + Long.toUnsignedString(r.nextLong(), 36);
  }
}
