package chat.bench;

import java.io.PrintStream;
import java.util.Map;

/**
 * {@code parley bench ...}: Parley's load driver. It speaks PROTOCOL.md like any client and prints
 * its results as one JSON object on the last line of stdout; progress and errors go to stderr.
 *
 * <p>Exit codes: 0 the run completed (read the summary for loss and errors), 1 the run could not be
 * done (server unreachable, setup refused, sockets failed), 2 bad command line.
 */
public final class BenchMain {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;

    private BenchMain() {
    }

    /** Runs the driver; returns the process exit code (never calls System.exit). */
    public static int run(String[] args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.HelpRequested e) {
            out.print(BenchOptions.USAGE);
            out.flush();
            return EXIT_OK;
        } catch (BenchOptions.UsageException e) {
            err.println("bench: " + e.getMessage());
            err.print(BenchOptions.USAGE);
            err.flush();
            return EXIT_USAGE;
        }
        // Libraries (Pekko's fallback logger, a console log appender) may write to System.out; the
        // contract is that stdout's last line is the summary, so everything else goes to stderr.
        System.setOut(err);
        try {
            Map<String, Object> summary = new BenchRun(options, err).execute();
            out.println(Summary.toJson(summary));
            return EXIT_OK;
        } catch (BenchFailure e) {
            err.println("bench: error: " + e.getMessage());
            out.println(Summary.failure(e.getMessage()));
            return EXIT_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bench: error: interrupted");
            out.println(Summary.failure("interrupted"));
            return EXIT_FAILED;
        } catch (RuntimeException e) {
            err.println("bench: error: internal failure: " + e);
            out.println(Summary.failure("internal failure: " + e));
            return EXIT_FAILED;
        } finally {
            out.flush();
            System.setOut(out);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
