package chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class SummaryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Summary.Measurements measurements(Histogram delivery, OptionalLong serverRss) {
        Histogram ack = new Histogram(3);
        ack.recordValue(2_000);
        return new Summary.Measurements(
                new DeliveryLedger.Tally(1000, 990, 10, 985, 2, 1, 5, 0),
                delivery, ack, new Histogram(3),
                500, 495, 10.0, 200, 0, 1, 37.5, 0.75, 64L << 20,
                Map.of("server:rate_limited", 3L, "driver:send_buffer_full", 1L),
                0, 980, 0, 0L, 0, 1.5, 0.4,
                OptionalDouble.of(80.0), serverRss, OptionalLong.of(100L << 20));
    }

    @Test
    void summaryIsOneJsonLineWithEveryRequiredField() throws Exception {
        Histogram delivery = new Histogram(3);
        for (int i = 1; i <= 100; i++) {
            delivery.recordValue(i * 1_000L); // 1..100 ms
        }
        BenchOptions o = BenchOptions.parse(new String[] {"--url", "http://h:1", "--users", "200", "--rate", "50"});
        String line = Summary.toJson(Summary.fields(o, measurements(delivery, OptionalLong.of(150L << 20))));
        assertFalse(line.contains("\n"));
        JsonNode j = JSON.readTree(line);
        for (String field : Summary.REQUIRED) {
            assertTrue(j.has(field), field);
        }
        assertEquals(1000, j.get("sent").asLong());
        assertEquals(5, j.get("lost").asLong());
        assertEquals(50.0, j.get("msgPerSec").asDouble(), 1e-9, "acked sends in the window / seconds");
        assertEquals(50.0, j.get("p50Ms").asDouble(), 0.1);
        assertEquals(99.0, j.get("p99Ms").asDouble(), 0.1);
        assertEquals(100.0, j.get("maxMs").asDouble(), 0.1);
        assertEquals(2.0, j.get("ackP50Ms").asDouble(), 0.01);
        assertEquals(200, j.get("connections").asInt());
        assertEquals(37.5, j.get("driverCpuPercent").asDouble());
        assertEquals(4, j.get("errors").asLong());
        assertEquals(3, j.get("errorKinds").get("server:rate_limited").asLong());
        assertEquals("pairs", j.get("mode").asText());
        assertFalse(j.has("serverRssPerConnectionKb"), "traffic swamps the per-socket memory figure");
    }

    @Test
    void idleRunsReportServerMemoryPerSocket() throws Exception {
        BenchOptions o = BenchOptions.parse(new String[] {"--url", "http://h:1", "--mode", "idle", "--users", "200"});
        JsonNode j = JSON.readTree(Summary.toJson(Summary.fields(o,
                measurements(new Histogram(3), OptionalLong.of(150L << 20)))));
        assertEquals(256.0, j.get("serverRssPerConnectionKb").asDouble(), 0.01, "(150-100) MB over 200 sockets");
        assertEquals(150.0, j.get("serverRssMb").asDouble(), 0.01);
    }

    @Test
    void latenciesWithoutSamplesAreNullNotZero() throws Exception {
        BenchOptions o = BenchOptions.parse(new String[] {"--url", "http://h:1", "--mode", "idle"});
        JsonNode j = JSON.readTree(Summary.toJson(Summary.fields(o, measurements(new Histogram(3), OptionalLong.empty()))));
        assertTrue(j.has("p99Ms"));
        assertTrue(j.get("p99Ms").isNull());
        assertFalse(j.has("serverRssMb"));
    }

    @Test
    void failureSummaryIsStillJson() throws Exception {
        JsonNode j = JSON.readTree(Summary.failure("server not ready: \"503\""));
        assertEquals("server not ready: \"503\"", j.get("error").asText());
    }
}
