package chat.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One latency distribution, written from many socket threads and read by one reporter. Values are
 * kept in microseconds with three significant digits; the range grows as needed, so a multi-second
 * stall is recorded as what it was rather than clipped.
 */
final class LatencyRecorder {

    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private Histogram recycled;

    void recordNanos(long nanos) {
        recorder.recordValue(Math.max(0, nanos / 1_000));
    }

    /** Moves what was recorded since the last call into the total and returns just that interval. */
    synchronized Histogram takeInterval() {
        Histogram interval = recorder.getIntervalHistogram(recycled);
        total.add(interval);
        recycled = interval;
        return interval;
    }

    /** Everything recorded so far. */
    synchronized Histogram total() {
        takeInterval();
        return total.copy();
    }

    /** @return the value at {@code percentile} in milliseconds, or null when nothing was recorded */
    static Double millisAt(Histogram h, double percentile) {
        if (h.getTotalCount() == 0) {
            return null;
        }
        return h.getValueAtPercentile(percentile) / 1_000.0;
    }

    static Double maxMillis(Histogram h) {
        return h.getTotalCount() == 0 ? null : h.getMaxValue() / 1_000.0;
    }

    static Double meanMillis(Histogram h) {
        return h.getTotalCount() == 0 ? null : h.getMean() / 1_000.0;
    }
}
