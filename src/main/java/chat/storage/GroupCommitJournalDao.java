package chat.storage;

import chat.metrics.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.concurrent.Promise;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * Pekko Persistence JDBC's journal DAO with group commit: journal writes from all entities are
 * batched into one transaction, and after each commit the writer waits until
 * {@code parley.db.journal-commit-interval} has passed since the commit began before it starts
 * the next, so that writes arriving meanwhile share one commit.
 *
 * <p>Why: the plugin commits as soon as its previous commit is done, so below saturation nearly
 * every event is a transaction of its own. On H2 (with {@code WRITE_DELAY=0}, so that an
 * acknowledged message survives a killed process) every commit writes a new chunk of the MVStore
 * (the touched B-tree pages, 4 KiB each): about 150 us of CPU for a one-row commit against 20-50 us
 * per row in batches of 10 to 1,000. Each write is still acknowledged the moment its own commit is
 * done; only the start of the next commit waits. The interval bounds the extra latency of a write
 * (at most one interval) and the commit rate (at most one per interval per writer).
 */
public final class GroupCommitJournalDao extends DefaultJournalDao {
  private record Pending(Promise<BoxedUnit> done, Seq<Tuple2<JournalTables.JournalPekkoSerializationRow, Set<String>>> rows,
                         long queuedNanos) {}

  private record Batch(List<Pending> writes, List<Tuple2<JournalTables.JournalPekkoSerializationRow, Set<String>>> rows) {}

  private final BoundedSourceQueue<Pending> queue;
  private final int bufferSize;
  private final LongAdder commits;
  private final LongAdder rowsWritten;
  private final LongAdder commitMicros;
  private final LongAdder writes;
  private final LongAdder writeMicros;

  public GroupCommitJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, JournalConfig journalConfig,
                               Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    var config = mat.system().settings().config();
    long intervalNanos = config.getDuration("parley.db.journal-commit-interval").toNanos();
    int batchSize = journalConfig.daoConfig().batchSize();
    int parallelism = journalConfig.daoConfig().parallelism();
    this.bufferSize = journalConfig.daoConfig().bufferSize();
    Metrics metrics = Metrics.of(mat.system());
    this.commits = metrics.counter("parley_journal_commits_total", "", "Journal transactions committed (or failed)");
    this.rowsWritten = metrics.counter("parley_journal_rows_total", "", "Journal rows in those transactions");
    this.commitMicros = metrics.counter("parley_journal_commit_microseconds_total", "",
        "Time spent in those transactions (divide by commits: mean commit time)");
    this.writes = metrics.counter("parley_journal_writes_total", "", "Entity journal writes (each one or more rows)");
    this.writeMicros = metrics.counter("parley_journal_write_microseconds_total", "",
        "Time from a write's arrival to its commit, queue included (divide by writes: mean write latency)");
    this.queue = Source.<Pending>queue(bufferSize)
        .batchWeighted(batchSize, p -> (long) p.rows().size(), GroupCommitJournalDao::startBatch,
            (batch, p) -> {
              batch.writes().add(p);
              batch.rows().addAll(CollectionConverters.asJava(p.rows()));
              return batch;
            })
        .mapAsync(parallelism, batch -> commit(batch, intervalNanos))
        .to(Sink.ignore())
        .run(mat);
  }

  private static Batch startBatch(Pending p) {
    List<Pending> writes = new ArrayList<>();
    writes.add(p);
    return new Batch(writes, new ArrayList<>(CollectionConverters.asJava(p.rows())));
  }

  private CompletionStage<BoxedUnit> commit(Batch batch, long intervalNanos) {
    long started = System.nanoTime();
    CompletionStage<BoxedUnit> written = FutureConverters.asJava(
        writeJournalRows(CollectionConverters.asScala(batch.rows()).toList()));
    return written.handle((ok, failure) -> {
      long finished = System.nanoTime();
      commits.increment();
      rowsWritten.add(batch.rows().size());
      commitMicros.add((finished - started) / 1_000);
      writes.add(batch.writes().size());
      for (Pending p : batch.writes()) {
        writeMicros.add((finished - p.queuedNanos()) / 1_000);
        if (failure == null) p.done().trySuccess(BoxedUnit.UNIT);
        else p.done().tryFailure(failure);
      }
      return BoxedUnit.UNIT;
    }).thenCompose(u -> {
      long wait = intervalNanos - (System.nanoTime() - started);
      if (wait <= 0) return CompletableFuture.completedFuture(u);
      return CompletableFuture.supplyAsync(() -> u, CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS));
    });
  }

  @Override
  public Future<BoxedUnit> queueWriteJournalRows(Seq<Tuple2<JournalTables.JournalPekkoSerializationRow, Set<String>>> rows) {
    Promise<BoxedUnit> done = Promise.apply();
    QueueOfferResult result = queue.offer(new Pending(done, rows, System.nanoTime()));
    if (result == QueueOfferResult.enqueued()) return done.future();
    if (result == QueueOfferResult.dropped()) {
      return scala.concurrent.Future$.MODULE$.failed(new IllegalStateException(
          "journal write queue full (" + bufferSize + " writes waiting); raise jdbc-journal.bufferSize"));
    }
    return scala.concurrent.Future$.MODULE$.failed(new IllegalStateException("journal write queue closed: " + result));
  }
}
