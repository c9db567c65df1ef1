package chat.storage;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;

/**
 * What one journal row costs the embedded H2 database, by the number of rows per commit: the same
 * table (Parley's schema), URL settings and insert statement as the node's journal, rows from 1,000
 * entities in random order as under chat load, a commit per batch. Prints the median CPU time per
 * row over interleaved rounds (the machine is shared: compare rows of one run, not runs).
 *
 * <p>Not a test: {@code java -cp <test classpath> chat.storage.JournalRowCostReport [rounds]}
 * (docs/benchmarks.md has the exact command and a run's output).
 */
public final class JournalRowCostReport {
  private static final int[] BATCHES = {1, 5, 20, 100, 400};
  private static final int ENTITIES = 1_000;
  private static final int ROWS_PER_ROUND = 20_000;

  private JournalRowCostReport() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path dir = Files.createTempDirectory("journal-row-cost");
    String url = Database.embeddedH2Url(dir);
    Schema.ensure(url, "", "");
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    List<List<Double>> perRow = new ArrayList<>();
    for (int ignored : BATCHES) perRow.add(new ArrayList<>());
    try (Connection c = DriverManager.getConnection(url)) {
      c.setAutoCommit(false);
      PreparedStatement insert = c.prepareStatement("INSERT INTO \"event_journal\" (\"deleted\", \"persistence_id\", "
          + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\", "
          + "\"event_ser_manifest\", \"meta_payload\", \"meta_ser_id\", \"meta_ser_manifest\") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
      long[] seq = new long[ENTITIES];
      Random random = new Random(42);
      byte[] payload = new byte[180]; // a MessageReceived event in CBOR is about this size
      random.nextBytes(payload);
      String writer = UUID.randomUUID().toString();
      // a first round fills the table and warms the JIT; not counted
      for (int round = 0; round <= rounds; round++) {
        for (int b = 0; b < BATCHES.length; b++) {
          int batch = BATCHES[b];
          long started = cpu.getCurrentThreadCpuTime();
          int written = 0;
          while (written < ROWS_PER_ROUND) {
            for (int k = 0; k < batch; k++) {
              int entity = random.nextInt(ENTITIES);
              insert.setBoolean(1, false);
              insert.setString(2, "User|user-" + entity);
              insert.setLong(3, ++seq[entity]);
              insert.setString(4, writer);
              insert.setLong(5, System.currentTimeMillis());
              insert.setString(6, "");
              insert.setBytes(7, payload);
              insert.setInt(8, 33);
              insert.setString(9, "chat.user.User$MessageReceived");
              insert.setNull(10, Types.VARBINARY);
              insert.setNull(11, Types.INTEGER);
              insert.setNull(12, Types.VARCHAR);
              insert.addBatch();
            }
            insert.executeBatch();
            c.commit();
            written += batch;
          }
          if (round > 0) perRow.get(b).add((cpu.getCurrentThreadCpuTime() - started) / 1e3 / written);
        }
      }
    }
    System.out.println("rows per commit | median us of CPU per row | per commit");
    for (int b = 0; b < BATCHES.length; b++) {
      List<Double> samples = perRow.get(b);
      Collections.sort(samples);
      double median = samples.get(samples.size() / 2);
      System.out.printf(Locale.ROOT, "%15d | %24.1f | %10.0f%n", BATCHES[b], median, median * BATCHES[b]);
    }
  }
}
