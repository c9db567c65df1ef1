package chat.user;

import com.typesafe.config.Config;
import java.time.Duration;

/** The `parley.chat` knobs, read once (documented in reference.conf). */
public record ChatSettings(int maxTextLength, int dedupWindow, int snapshotEvery, Duration deliveryRetryMin,
                           Duration deliveryRetryMax, Duration deliveryAttemptTimeout, int deliveryBatch,
                           Duration passivateAfter, int unreadInMemory, int unconfirmedInMemory,
                           Duration receiptDelay) {
  public static ChatSettings from(Config parley) {
    Config c = parley.getConfig("chat");
    return new ChatSettings(
        c.getInt("max-text-length"),
        c.getInt("dedup-window"),
        c.getInt("snapshot-every"),
        c.getDuration("delivery-retry-min"),
        c.getDuration("delivery-retry-max"),
        c.getDuration("delivery-attempt-timeout"),
        c.getInt("delivery-batch"),
        c.getDuration("passivate-after"),
        c.getInt("unread-in-memory"),
        c.getInt("unconfirmed-in-memory"),
        c.getDuration("receipt-delay"));
  }
}
