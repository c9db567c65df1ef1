package chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole driver, as {@code parley bench} runs it, over real sockets against {@link FakeParleyServer}.
 * Runs are kept to about a second; assertions are on counts, never on timings.
 */
class BenchDriverTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static FakeParleyServer server;

    record Outcome(int exitCode, String stdout, String stderr) {
        JsonNode summary() throws Exception {
            String[] lines = stdout.strip().split("\n");
            return JSON.readTree(lines[lines.length - 1]);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        server = new FakeParleyServer();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static synchronized Outcome bench(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = BenchMain.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            oldErr.print(err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void pairsAtAFixedRateDeliverEverythingAndSayItOnTheLastLine() throws Exception {
        Outcome o = bench("--url", server.url(), "--users", "6", "--rate", "150", "--duration", "1",
                "--warmup", "0.3", "--drain", "5", "--run-id", "pairs1", "--source-addresses", "4");
        assertEquals(0, o.exitCode(), o.stderr());
        JsonNode s = o.summary();
        long sent = s.get("sent").asLong();
        assertTrue(sent > 50, "about 195 sends were scheduled, got " + sent);
        assertEquals(sent, s.get("acked").asLong());
        assertEquals(sent, s.get("delivered").asLong());
        assertEquals(0, s.get("lost").asLong());
        assertEquals(0, s.get("duplicates").asLong());
        assertEquals(0, s.get("reordered").asLong());
        assertEquals(0, s.get("errors").asLong(), s.toString());
        assertEquals(6, s.get("connections").asInt());
        assertEquals(0, s.get("seqGaps").asLong(), "the fake server's streams are gapless");
        assertFalse(s.get("p99Ms").isNull());
        assertTrue(s.get("msgPerSec").asDouble() > 0);
        assertTrue(server.receivedUpTo("bpairs1u1") > 0, "receivers confirmed with 'received'");
        assertEquals(1, o.stdout().strip().split("\n").length, "stdout holds only the summary");
    }

    @Test
    void lostAndDuplicatedDeliveriesAreReported() throws Exception {
        server.dropDelivery("bfaults1u1", 5);
        server.duplicateDelivery("bfaults1u0", 3);
        Outcome o = bench("--url", server.url(), "--users", "2", "--rate", "40", "--duration", "0.6",
                "--warmup", "0", "--drain", "1", "--run-id", "faults1");
        assertEquals(0, o.exitCode(), o.stderr());
        JsonNode s = o.summary();
        assertEquals(1, s.get("lost").asLong(), s.toString());
        assertEquals(1, s.get("duplicates").asLong(), s.toString());
        assertEquals(s.get("acked").asLong() - 1, s.get("delivered").asLong());
        assertEquals(1, s.get("seqGaps").asLong(), "the dropped delivery left a hole in a stream");
        assertEquals(1, s.get("lostChecked").asInt());
        assertEquals(1, s.get("lostFoundInStream").asInt(), "stored but not pushed: the REST stream has it");
        assertTrue(o.stderr().contains("bench: lost: bfaults1u0 -> bfaults1u1 message #4"), o.stderr());
    }

    @Test
    void aSecondRunOverTheSameAccountsSendsNewMessages() throws Exception {
        String[] args = {"--url", server.url(), "--users", "2", "--rate", "20", "--duration", "0.5",
                "--warmup", "0", "--drain", "2", "--user-prefix", "again-", "--quiet"};
        assertEquals(0, bench(args).exitCode());
        Outcome second = bench(args);
        assertEquals(0, second.exitCode(), second.stderr());
        JsonNode s = second.summary();
        assertTrue(s.get("sent").asLong() > 0);
        assertEquals(0, s.get("lost").asLong(), "same schedule, same accounts: ids must still be new " + s);
        assertEquals(s.get("sent").asLong(), s.get("delivered").asLong());
    }

    @Test
    void groupsWithAWindowReachEveryOtherMember() throws Exception {
        Outcome o = bench("--url", server.url(), "--mode", "group", "--users", "6", "--group-size", "3",
                "--rate", "0", "--window", "2", "--duration", "0.5", "--warmup", "0.2", "--run-id", "grp1");
        assertEquals(0, o.exitCode(), o.stderr());
        JsonNode s = o.summary();
        long acked = s.get("acked").asLong();
        assertTrue(acked > 12, "each of 6 senders keeps 2 in flight, got " + acked);
        assertEquals(2 * acked, s.get("delivered").asLong(), "two other members per group");
        assertEquals(0, s.get("lost").asLong());
        assertEquals(0, s.get("groupOrderViolations").asLong());
        assertEquals(3, s.get("groupSize").asInt());
    }

    @Test
    void groupModeWithoutServerGroupsFailsWithAClearMessage() throws Exception {
        server.groupsEnabled = false;
        try {
            Outcome o = bench("--url", server.url(), "--mode", "group", "--users", "4", "--group-size", "2",
                    "--run-id", "nogrp1", "--duration", "1");
            assertEquals(1, o.exitCode());
            String error = o.summary().get("error").asText();
            assertTrue(error.contains("/api/v1/groups") && error.contains("404"), error);
            assertTrue(o.stderr().contains("bench: error: group mode needs POST /api/v1/groups"), o.stderr());
            assertFalse(o.stderr().contains("\tat "), "no stack trace:\n" + o.stderr());
        } finally {
            server.groupsEnabled = true;
        }
    }

    @Test
    void idleHoldsConnectionsAndReportsThem() throws Exception {
        Outcome o = bench("--url", server.url(), "--mode", "idle", "--users", "5", "--duration", "0.3",
                "--run-id", "idle1", "--server-pid", Long.toString(ProcessHandle.current().pid()));
        assertEquals(0, o.exitCode(), o.stderr());
        JsonNode s = o.summary();
        assertEquals(5, s.get("connections").asInt());
        assertEquals(0, s.get("sent").asLong());
        assertTrue(s.get("p50Ms").isNull());
        assertNotNull(s.get("serverRssMb"), "RSS of the given pid is reported");
    }

    @Test
    void connectStormsReopenEverySocketEachRound() throws Exception {
        Outcome o = bench("--url", server.url(), "--mode", "storm", "--users", "4", "--duration", "0.5",
                "--run-id", "storm1", "--connect-concurrency", "4");
        assertEquals(0, o.exitCode(), o.stderr());
        JsonNode s = o.summary();
        int rounds = s.get("rounds").asInt();
        assertTrue(rounds >= 1);
        assertEquals(4L * rounds, s.get("connects").asLong(), s.toString());
        assertEquals(0, s.get("disconnects").asInt(), "our own closes are not disconnects");
        assertEquals(4, s.get("connections").asInt());
        assertTrue(s.get("connectsPerSec").asDouble() > 0);
        assertFalse(s.get("connectP99Ms").isNull());
    }

    @Test
    void existingAccountsAreReusedAndAWrongPasswordIsExplained() throws Exception {
        String[] args = {"--url", server.url(), "--mode", "idle", "--users", "2", "--duration", "0.1",
                "--user-prefix", "reuse-", "--quiet"};
        assertEquals(0, bench(args).exitCode());
        Outcome again = bench(args);
        assertEquals(0, again.exitCode(), again.stderr());
        assertEquals(2, again.summary().get("connections").asInt(), "409 on register, then logged in");

        Outcome wrong = bench("--url", server.url(), "--mode", "idle", "--users", "2", "--duration", "0.1",
                "--user-prefix", "reuse-", "--password", "another-password", "--quiet");
        assertEquals(1, wrong.exitCode());
        assertTrue(wrong.summary().get("error").asText().contains("another password"), wrong.stdout());
    }

    @Test
    void badFlagsPrintUsageAndExitTwoWithNothingOnStdout() {
        Outcome o = bench("--url", server.url(), "--mode", "chaos");
        assertEquals(2, o.exitCode());
        assertEquals("", o.stdout());
        assertTrue(o.stderr().contains("--mode must be pairs, group, idle or storm"));
        assertTrue(o.stderr().contains("usage: parley bench"));
    }

    @Test
    void anUnreachableServerIsAnErrorNotAStackTrace() throws Exception {
        int freePort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            freePort = socket.getLocalPort();
        }
        Outcome o = bench("--url", "http://127.0.0.1:" + freePort, "--users", "2");
        assertEquals(1, o.exitCode());
        assertTrue(o.summary().get("error").asText().contains("cannot reach"), o.stdout());
        assertFalse(o.stderr().contains("\tat "), o.stderr());
    }
}
