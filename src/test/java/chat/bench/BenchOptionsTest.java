package chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    private static BenchOptions parse(String line) throws Exception {
        return BenchOptions.parse(line.isBlank() ? new String[0] : line.trim().split("\\s+"));
    }

    @Test
    void theDocumentedFlagsAreUnderstood() throws Exception {
        BenchOptions o = parse("--url http://127.0.0.1:18080 --mode group --users 40 --group-size 8 --rate 250"
                + " --window 4 --duration 12.5 --warmup 3 --run-id abc123 --server-pid 4242 --read --quiet");
        assertEquals("http://127.0.0.1:18080", o.url().toString());
        assertEquals(BenchOptions.Mode.GROUP, o.mode());
        assertEquals(40, o.users());
        assertEquals(8, o.groupSize());
        assertEquals(250.0, o.rate());
        assertEquals(4, o.window());
        assertEquals(Duration.ofMillis(12_500), o.duration());
        assertEquals(Duration.ofSeconds(3), o.warmup());
        assertEquals("babc123u", o.userPrefix());
        assertEquals("babc123u39", o.username(39));
        assertEquals(4242L, o.serverPid().getAsLong());
        assertTrue(o.sendRead());
        assertTrue(o.quiet());
        assertEquals(7, o.fanout());
    }

    @Test
    void defaultsMakeARunnablePairsBenchmark() throws Exception {
        BenchOptions o = parse("--url=http://localhost:8080/");
        assertEquals(BenchOptions.Mode.PAIRS, o.mode());
        assertEquals("http://localhost:8080", o.url().toString(), "trailing slash dropped so paths join cleanly");
        assertTrue(BenchOptions.USERNAME.matcher(o.username(o.users() - 1)).matches());
        assertFalse(o.sendRead());
        assertEquals(1, o.fanout());
    }

    @Test
    void generatedRunIdsGiveValidUserNames() throws Exception {
        for (int i = 0; i < 50; i++) {
            BenchOptions o = parse("--url http://h:1 --users 100000");
            assertTrue(o.runId().matches("[a-z0-9]{1,12}"), o.runId());
            assertTrue(BenchOptions.USERNAME.matcher(o.username(99_999)).matches(), o.username(99_999));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                                                  | --url is required",
            "--url ftp://x:1                                     | must start with http://",
            "--url https://x:1                                   | must start with http://",
            "--url http://h:1 --mode chaos                       | pairs, group, idle or storm",
            "--url http://h:1 --users 3                          | even --users",
            "--url http://h:1 --mode group --users 10 --group-size 4 | multiple of --group-size",
            "--url http://h:1 --group-size 4                     | only applies to --mode group",
            "--url http://h:1 --rate -5                          | --rate must be between",
            "--url http://h:1 --rate fast                        | --rate needs a number",
            "--url http://h:1 --users 0                          | --users must be between",
            "--url http://h:1 --window                           | --window needs a value",
            "--url --users 4                                     | --url needs a value",
            "--url http://h:1 --duration 0                       | --duration must be between",
            "--url http://h:1 --user-prefix BAD                  | do not match",
            "--url http://h:1 --user-prefix abcdefghijklmnopqrstuvwxyz0123 --users 200 | do not match",
            "--url http://h:1 --frobnicate 1                     | unknown option --frobnicate",
            "--url http://h:1 --users 4 --users 6                | given twice",
            "--url http://h:1 --password short                   | 8..128",
            "--url http://h:1 --source-addresses 300             | between 1 and 254",
            "--url http://h:1 stray                              | unexpected argument",
            "--url http://h:1 --quiet=yes                        | takes no value",
            "--url http://h:1 --protocol irc                     | parley or xmpp",
            "--url http://h:1 --protocol xmpp --mode storm       | pairs, group and idle",
            "--url http://h:1 --protocol xmpp --read             | no XMPP counterpart",
            "--url http://h:1 --xmpp-domain example.org          | only applies to --protocol xmpp",
            "--url http://h:1 --protocol xmpp --xmpp-domain a/b  | must be a host name",
    })
    void badFlagsAreRejectedWithAReason(String line, String expected) {
        BenchOptions.UsageException e = assertThrows(BenchOptions.UsageException.class, () -> parse(line));
        assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
    }

    @Test
    void xmppDefaultsToTheLocalhostDomain() throws Exception {
        BenchOptions o = parse("--url http://h:5280 --protocol xmpp --users 4");
        assertEquals(BenchOptions.Protocol.XMPP, o.protocol());
        assertEquals("localhost", o.xmppDomain());
        assertEquals(BenchOptions.Protocol.PARLEY, parse("--url http://h:1").protocol());
    }

    @Test
    void helpIsNotAnError() {
        assertThrows(BenchOptions.HelpRequested.class, () -> parse("--help"));
    }
}
