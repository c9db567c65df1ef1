package chat.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The one-line JSON result. Field names are part of the driver's interface: scripts read them, so
 * the ones in {@link #REQUIRED} are always present (latencies are {@code null} when nothing was
 * measured, never a made-up zero).
 */
final class Summary {

    static final List<String> REQUIRED = List.of("sent", "acked", "delivered", "lost", "duplicates", "reordered",
            "msgPerSec", "p50Ms", "p99Ms", "maxMs", "connections", "driverCpuPercent");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Everything a run measured, gathered by {@link BenchRun} once traffic has stopped. */
    record Measurements(
            DeliveryLedger.Tally tally,
            Histogram delivery,
            Histogram ack,
            Histogram connect,
            long measuredAcked,
            long measuredDelivered,
            double measuredSeconds,
            int connections,
            int connectFailures,
            int disconnects,
            double driverCpuPercent,
            double driverCpuCores,
            long driverHeapBytes,
            Map<String, Long> errorKinds,
            long failed,
            long receiptsDelivered,
            long receiptsRead,
            Long seqGaps,
            long groupOrderViolations,
            double setupSeconds,
            double connectSeconds,
            OptionalDouble serverCpuPercent,
            OptionalLong serverRssBytes,
            OptionalLong serverRssBeforeConnectBytes) {
    }

    private Summary() {
    }

    static Map<String, Object> fields(BenchOptions o, Measurements m) {
        Map<String, Object> f = new LinkedHashMap<>();
        DeliveryLedger.Tally t = m.tally();
        f.put("mode", o.mode().flagValue());
        if (o.protocol() != BenchOptions.Protocol.PARLEY) {
            f.put("protocol", o.protocol().flagValue());
        }
        f.put("users", o.users());
        if (o.mode() == BenchOptions.Mode.GROUP) {
            f.put("groupSize", o.groupSize());
        }
        f.put("rate", o.rate());
        f.put("window", o.window());
        f.put("durationS", round(o.duration().toNanos() / 1e9));
        f.put("warmupS", round(o.warmup().toNanos() / 1e9));
        f.put("runId", o.runId());

        f.put("sent", t.sent());
        f.put("acked", t.acked());
        f.put("delivered", t.delivered());
        f.put("lost", t.lost());
        f.put("duplicates", t.duplicates());
        f.put("reordered", t.reordered());
        f.put("unacked", t.unacked());
        f.put("deliveredWithoutAck", t.deliveredWithoutAck());
        f.put("failed", m.failed());

        double secs = m.measuredSeconds();
        f.put("msgPerSec", secs > 0 ? round(m.measuredAcked() / secs) : 0.0);
        f.put("deliveredPerSec", secs > 0 ? round(m.measuredDelivered() / secs) : 0.0);

        f.put("p50Ms", ms(LatencyRecorder.millisAt(m.delivery(), 50)));
        f.put("p90Ms", ms(LatencyRecorder.millisAt(m.delivery(), 90)));
        f.put("p99Ms", ms(LatencyRecorder.millisAt(m.delivery(), 99)));
        f.put("p999Ms", ms(LatencyRecorder.millisAt(m.delivery(), 99.9)));
        f.put("maxMs", ms(LatencyRecorder.maxMillis(m.delivery())));
        f.put("meanMs", ms(LatencyRecorder.meanMillis(m.delivery())));
        f.put("latencySamples", m.delivery().getTotalCount());
        f.put("ackP50Ms", ms(LatencyRecorder.millisAt(m.ack(), 50)));
        f.put("ackP99Ms", ms(LatencyRecorder.millisAt(m.ack(), 99)));
        f.put("ackMaxMs", ms(LatencyRecorder.maxMillis(m.ack())));

        f.put("connections", m.connections());
        f.put("connectFailures", m.connectFailures());
        f.put("disconnects", m.disconnects());
        f.put("connectP50Ms", ms(LatencyRecorder.millisAt(m.connect(), 50)));
        f.put("connectP99Ms", ms(LatencyRecorder.millisAt(m.connect(), 99)));
        f.put("connectMaxMs", ms(LatencyRecorder.maxMillis(m.connect())));
        f.put("connectSeconds", round(m.connectSeconds()));
        f.put("setupSeconds", round(m.setupSeconds()));

        f.put("receiptsDelivered", m.receiptsDelivered());
        f.put("receiptsRead", m.receiptsRead());
        f.put("seqGaps", m.seqGaps());
        if (o.mode() == BenchOptions.Mode.GROUP) {
            f.put("groupOrderViolations", m.groupOrderViolations());
        }

        long errors = m.errorKinds().values().stream().mapToLong(Long::longValue).sum();
        f.put("errors", errors);
        f.put("errorKinds", new TreeMap<>(m.errorKinds()));

        f.put("driverCpuPercent", round(m.driverCpuPercent()));
        f.put("driverCpuCores", round(m.driverCpuCores()));
        f.put("driverHeapMb", round(m.driverHeapBytes() / 1048576.0));
        m.serverCpuPercent().ifPresent(p -> f.put("serverCpuPercent", round(p)));
        m.serverRssBytes().ifPresent(b -> f.put("serverRssMb", round(b / 1048576.0)));
        // only idle sockets isolate the per-socket cost; with traffic, heap growth and GC swamp it
        if (o.mode() == BenchOptions.Mode.IDLE && m.serverRssBytes().isPresent()
                && m.serverRssBeforeConnectBytes().isPresent() && m.connections() > 0) {
            long grown = m.serverRssBytes().getAsLong() - m.serverRssBeforeConnectBytes().getAsLong();
            f.put("serverRssPerConnectionKb", round(grown / 1024.0 / m.connections()));
        }
        return f;
    }

    static String toJson(Map<String, Object> fields) {
        for (String name : REQUIRED) {
            if (!fields.containsKey(name)) {
                throw new IllegalStateException("summary lacks required field " + name);
            }
        }
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("summary is not serialisable", e);
        }
    }

    /** A summary for a run that could not happen: still one JSON line, so scripts see why. */
    static String failure(String message) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("error", message);
        try {
            return JSON.writeValueAsString(f);
        } catch (JsonProcessingException e) {
            return "{\"error\":\"unprintable error\"}";
        }
    }

    private static Double ms(Double value) {
        return value == null ? null : round(value);
    }

    static double round(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return 0;
        }
        return Math.round(value * 1000.0) / 1000.0;
    }
}
