package chat.user;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Reads a user's past updates from the journal, for {@code sync} and {@code GET /api/v1/updates}.
 *
 * <p>A journal row holds the updates of one write ({@link User.Batch}), so an update's {@code seq} is
 * not its row's sequence number. The row holding a seq is found by binary search over rows, each
 * probe one primary-key lookup, within bounds that the stream's end gives: every row holds at least
 * one update, so the row of seq {@code s} lies in {@code [lastRow - (lastSeq - s), s]}, and past the
 * end in {@code [lastRow + 1, lastRow + (s - lastSeq)]}. Once no more rows are left than a page
 * holds updates, the page's own read covers them, so a caught-up or nearly caught-up client costs one
 * query; paging on continues from the row where the last page stopped.
 */
public final class UpdateLog {
  /**
   * Updates with seqs {@code after + 1 ..}, at most {@code max}, in order; fewer only at the stream's
   * end. {@code nextRow} is where the page after this one starts (pass it back as {@code rowHint}), 0
   * when unknown.
   */
  public record Page(List<User.Update> updates, long nextRow) {}

  /** One journal row: the updates it holds start at {@code firstSeq}. */
  private record Row(long rowNr, long firstSeq, List<User.Event> updates) {
    long lastSeq() {
      return firstSeq + updates.size() - 1;
    }

    static Row of(EventEnvelope envelope) {
      return switch ((User.Event) envelope.event()) {
        case User.Batch b -> new Row(envelope.sequenceNr(), b.firstSeq(), b.updates());
        case User.Event plain -> new Row(envelope.sequenceNr(), envelope.sequenceNr(), List.of(plain)); // written before batching
      };
    }
  }

  private final JdbcReadJournal journal;
  private final ActorSystem<?> system;

  public UpdateLog(ActorSystem<?> system) {
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.system = system;
  }

  /**
   * @param end     the stream's end as its entity last reported it (possibly stale: the stream only
   *                grows, so the bounds stay true), or {@code null} when not known
   * @param rowHint a previous page's {@code nextRow} for {@code after}, or 0 to search
   */
  public CompletionStage<Page> page(String userId, long after, int max, User.StreamEnd end, long rowHint) {
    String persistenceId = User.persistenceId(userId);
    CompletionStage<Optional<Rows>> start = rowHint > 0
        ? CompletableFuture.completedFuture(Optional.of(new Rows(rowHint, rowHint)))
        : findRows(persistenceId, after + 1, end, max);
    return start.thenCompose(rows -> rows.isEmpty()
        ? CompletableFuture.completedFuture(new Page(List.of(), 0))
        : read(persistenceId, rows.get().low(), (int) (rows.get().high() - rows.get().low()) + max, after, max).thenCompose(page -> {
          boolean hintMissed = rowHint > 0 && !page.updates().isEmpty() && page.updates().get(0).seq() != after + 1;
          return hintMissed ? page(userId, after, max, end, 0) : CompletableFuture.completedFuture(page);
        }));
  }

  /** Every update with a seq from {@code from} to {@code to}, in order, read a page of 1,000 at a time. */
  public CompletionStage<List<User.Update>> range(String userId, long from, long to, User.StreamEnd end) {
    return collect(userId, from - 1, to, end, 0, new ArrayList<>());
  }

  private CompletionStage<List<User.Update>> collect(String userId, long after, long to, User.StreamEnd end, long row,
                                                     List<User.Update> into) {
    if (after >= to) return CompletableFuture.completedFuture(into);
    return page(userId, after, (int) Math.min(1_000, to - after), end, row).thenCompose(page -> {
      into.addAll(page.updates());
      if (page.updates().isEmpty()) return CompletableFuture.completedFuture(into);
      return collect(userId, page.updates().get(page.updates().size() - 1).seq(), to, end, page.nextRow(), into);
    });
  }

  /** Rows {@code low} to {@code high}, one of which holds the seq looked for. */
  private record Rows(long low, long high) {}

  /**
   * Reads {@code rows} whole rows from {@code fromRow}, keeping the updates after {@code after}: when
   * the row of {@code after + 1} is among the first {@code rows - max + 1}, that is at least
   * {@code max} of them, since every row holds one or more.
   */
  private CompletionStage<Page> read(String persistenceId, long fromRow, int rows, long after, int max) {
    return journal.currentEventsByPersistenceId(persistenceId, fromRow, fromRow + rows - 1)
        .runWith(Sink.seq(), system)
        .thenApply(envelopes -> {
          List<User.Update> updates = new ArrayList<>(max);
          long nextRow = fromRow;
          for (EventEnvelope envelope : envelopes) {
            Row row = Row.of(envelope);
            long seq = row.firstSeq();
            for (User.Event update : row.updates()) {
              if (seq > after && updates.size() < max) updates.add(new User.Update(seq, update));
              seq++;
            }
            boolean consumed = updates.isEmpty() || updates.get(updates.size() - 1).seq() >= row.lastSeq();
            nextRow = consumed ? row.rowNr() + 1 : row.rowNr();
            if (updates.size() == max) break;
          }
          return new Page(updates, nextRow);
        });
  }

  /**
   * The rows, at most {@code span} of them, among which one holds {@code seq}; empty when the stream
   * ends before it.
   */
  private CompletionStage<Optional<Rows>> findRows(String persistenceId, long seq, User.StreamEnd end, int span) {
    long low = 1;
    long high = seq;
    if (end != null && end.lastRow() > 0 && seq <= end.lastSeq()) {
      low = Math.max(1, end.lastRow() - (end.lastSeq() - seq));
      high = Math.min(seq, end.lastRow());
    } else if (end != null && end.lastRow() > 0) {
      // written since: a caught-up client (seq = lastSeq + 1) needs no search at all
      low = end.lastRow() + 1;
      high = end.lastRow() + (seq - end.lastSeq());
    }
    return search(persistenceId, seq, low, high, span);
  }

  private CompletionStage<Optional<Rows>> search(String persistenceId, long seq, long low, long high, int span) {
    if (low > high) return CompletableFuture.completedFuture(Optional.empty());
    // few enough rows left to read them with the page itself: no more probes
    if (high - low < span) return CompletableFuture.completedFuture(Optional.of(new Rows(low, high)));
    long middle = low + (high - low) / 2;
    return journal.currentEventsByPersistenceId(persistenceId, middle, middle)
        .runWith(Sink.headOption(), system)
        .thenCompose(found -> {
          if (found.isEmpty()) return search(persistenceId, seq, low, middle - 1, span); // past the stream's end
          Row row = Row.of(found.get());
          if (seq < row.firstSeq()) return search(persistenceId, seq, low, middle - 1, span);
          if (seq > row.lastSeq()) return search(persistenceId, seq, middle + 1, high, span);
          return CompletableFuture.completedFuture(Optional.of(new Rows(middle, middle)));
        });
  }
}
