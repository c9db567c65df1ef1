package chat.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the embedded H2 file from growing without bound while the node runs.
 *
 * <p>Every commit writes a new chunk of H2's MVStore holding the B-tree pages it touched. A chunk's
 * space is reused only once none of its pages is live any more, and most chunks keep a few live
 * pages for long (a leaf that filled up is never written again). H2 rewrites those pages into new
 * chunks in its background writer, but it runs that writer only with a write delay, and Parley
 * opens H2 with {@code WRITE_DELAY=0} so that a confirmed write survives a killed process. Without
 * this task the file grew by about 25 MB a second at 2,000 msg/s, with a quarter of it live.
 *
 * <p>So a thread of its own does what H2's writer would: every {@code interval}, when less than
 * {@code targetFillRate} percent of the chunks' space is live, it has H2 rewrite the live pages of
 * the emptiest chunks ({@link MVStore#compact}, at most {@code writeLimit} bytes a round). The
 * rewritten pages go out with the next commit, and H2 reuses the emptied chunks once its retention
 * time has passed.
 */
public final class H2Compaction implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(H2Compaction.class);

  private final ScheduledExecutorService thread;
  private final MVStore store;
  private final int targetFillRate;
  private final int writeLimit;

  private H2Compaction(MVStore store, Duration interval, int targetFillRate, int writeLimit) {
    this.store = store;
    this.targetFillRate = targetFillRate;
    this.writeLimit = writeLimit;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "parley-h2-compaction");
      t.setDaemon(true);
      return t;
    });
    thread.scheduleWithFixedDelay(this::compactOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Starts compacting the embedded database behind {@code pool}. Returns null when {@code url} is
   * not an embedded H2 file (PostgreSQL reclaims space itself) or when {@code interval} is zero.
   */
  public static H2Compaction startIfEmbedded(String url, DataSource pool, Duration interval, int targetFillRate, long writeLimit) {
    if (!url.startsWith("jdbc:h2:file:") || interval.isZero()) return null;
    try (Connection c = pool.getConnection()) {
      // the store outlives this connection: the pool keeps the database open until the node stops
      MVStore store = ((SessionLocal) c.unwrap(JdbcConnection.class).getSession()).getDatabase().getStore().getMvStore();
      return new H2Compaction(store, interval, targetFillRate, (int) Math.min(Integer.MAX_VALUE, writeLimit));
    } catch (SQLException e) {
      throw new IllegalStateException("cannot reach the embedded database: " + e.getMessage(), e);
    }
  }

  /** Share of the file's chunk space that holds live pages, in percent. */
  public int liveChunkPercent() {
    return store.getFileStore().getChunksFillRate();
  }

  private void compactOnce() {
    try {
      if (store.isClosed() || liveChunkPercent() >= targetFillRate) return;
      if (store.compact(targetFillRate, writeLimit)) store.commit();
    } catch (RuntimeException e) {
      // the next round tries again; a failed round loses nothing, the pages stay where they were
      log.warn("H2 compaction round failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
