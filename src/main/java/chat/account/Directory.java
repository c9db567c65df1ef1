package chat.account;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Answers "does this user exist?" for the send path; accounts are never deleted, so positives are cached. */
public final class Directory {
  private final ClusterSharding sharding;
  private final Cache<String, Boolean> known = Caffeine.newBuilder().maximumSize(100_000).build();

  public Directory(ClusterSharding sharding) {
    this.sharding = sharding;
  }

  /** Non-null when the answer is known without asking the account entity. */
  public Boolean cached(String userId) {
    return known.getIfPresent(userId);
  }

  public CompletionStage<Boolean> exists(String userId) {
    if (known.getIfPresent(userId) != null) return CompletableFuture.completedFuture(true);
    return sharding.entityRefFor(Account.TYPE_KEY, userId)
        .ask(Account.Get::new, Duration.ofSeconds(5))
        .thenApply(info -> {
          if (info.exists()) known.put(userId, true);
          return info.exists();
        });
  }

  public void remember(String userId) {
    known.put(userId, true);
  }
}
