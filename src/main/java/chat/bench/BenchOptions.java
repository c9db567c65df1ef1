package chat.bench;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Everything the driver was told on its command line, validated. Parsing is pure so that scripts
 * get the same answer for the same flags, and so bad flags fail before any socket is opened.
 */
public record BenchOptions(
        URI url,
        Mode mode,
        int users,
        int groupSize,
        double rate,
        int window,
        Duration duration,
        Duration warmup,
        Duration drain,
        String runId,
        String userPrefix,
        String password,
        int setupConcurrency,
        int connectConcurrency,
        int sourceAddresses,
        int bodyBytes,
        Duration receivedInterval,
        boolean sendRead,
        OptionalLong serverPid,
        boolean quiet,
        Protocol protocol,
        String xmppDomain) {

    public enum Mode {
        PAIRS, GROUP, IDLE, STORM;

        public String flagValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What the driver speaks. XMPP (RFC 7395, XMPP over WebSocket) is there to measure a reference
     * server such as ejabberd on the same machine, in the same run, with the same traffic and
     * accounting; it has no acks, so a message counts as acked once it is on the wire.
     */
    public enum Protocol {
        PARLEY, XMPP;

        public String flagValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The protocol's rule for user names; the generated names must obey it too. */
    static final Pattern USERNAME = Pattern.compile("[a-z0-9_.-]{3,32}");
    private static final Pattern XMPP_DOMAIN = Pattern.compile("[A-Za-z0-9.-]{1,253}");
    private static final Pattern RUN_ID = Pattern.compile("[a-z0-9]{1,12}");
    static final int MAX_SOURCE_ADDRESSES = 254;

    public static final String USAGE = """
            usage: parley bench --url http://HOST:PORT [options]
              --url URL                 server base URL (http://HOST:PORT)                  required
              --mode pairs|group|idle|storm  traffic shape; storm = connect all sockets at once,
                                        close them, repeat for --duration           default pairs
              --users N                 simulated users, one WebSocket each              default 100
              --group-size N            members per group (group mode)                   default 10
              --rate R                  aggregate sends per second, open loop;
                                        0 = as fast as --window allows                   default 100
              --window W                max unacked sends per sender when --rate 0       default 10
              --duration SECONDS        measured sending time (idle: holding time,
                                        storm: time to keep reconnecting)                default 10
              --warmup SECONDS          sending time before measuring starts             default 2
              --drain SECONDS           max wait after sending for acks and deliveries   default 10
              --run-id ID               [a-z0-9]{1,12}, part of generated user names     default random
              --user-prefix P           user i is named P<i> (reuse accounts across runs) default b<runid>u
              --password P              password of every bench user (8..128 chars)      default bench-pass-1
              --setup-concurrency N     parallel register/login requests                 default 8
              --connect-concurrency N   WebSockets opening at the same time              default 64
              --source-addresses N      spread sockets over 127.0.0.1..N (loopback only) default 16
              --body-bytes N            pad message text to at least N characters        default 0
              --received-interval-ms N  how often receivers confirm with 'received'      default 200
              --read                    also send 'read' for every delivered message
              --server-pid PID          report the server process's CPU and RSS (Linux /proc)
              --protocol parley|xmpp    xmpp: an XMPP server's WebSocket at URL/ws, for a
                                        side-by-side reference (groups: MUC)     default parley
              --xmpp-domain D           XMPP domain with --protocol xmpp         default localhost
              --quiet                   no progress lines on stderr
              --help                    this text
            The last line of stdout is one JSON object with the results.
            """;

    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /** Thrown for --help: not an error, but no run either. */
    public static final class HelpRequested extends Exception {
        public HelpRequested() {
            super("help");
        }
    }

    public static BenchOptions parse(String[] args) throws UsageException, HelpRequested {
        URI url = null;
        Mode mode = Mode.PAIRS;
        int users = 100;
        int groupSize = 10;
        double rate = 100;
        int window = 10;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(2);
        Duration drain = Duration.ofSeconds(10);
        String runId = null;
        String userPrefix = null;
        String password = "bench-pass-1";
        int setupConcurrency = 8;
        int connectConcurrency = 64;
        int sourceAddresses = 16;
        int bodyBytes = 0;
        Duration receivedInterval = Duration.ofMillis(200);
        boolean sendRead = false;
        OptionalLong serverPid = OptionalLong.empty();
        boolean quiet = false;
        boolean groupSizeGiven = false;
        Protocol protocol = Protocol.PARLEY;
        String xmppDomain = null;

        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            String name = arg;
            String inlineValue = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                inlineValue = arg.substring(eq + 1);
            }
            if (!seen.add(name)) {
                throw new UsageException(name + " given twice");
            }
            switch (name) {
                case "--help", "-h" -> throw new HelpRequested();
                case "--read" -> {
                    noValue(name, inlineValue);
                    sendRead = true;
                    continue;
                }
                case "--quiet" -> {
                    noValue(name, inlineValue);
                    quiet = true;
                    continue;
                }
                default -> { }
            }
            String value;
            if (inlineValue != null) {
                value = inlineValue;
            } else {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException(name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--url" -> url = parseUrl(value);
                case "--mode" -> mode = parseMode(value);
                case "--users" -> users = intIn(name, value, 1, 1_000_000);
                case "--group-size" -> {
                    groupSize = intIn(name, value, 2, 100_000);
                    groupSizeGiven = true;
                }
                case "--rate" -> rate = doubleIn(name, value, 0, 10_000_000);
                case "--window" -> window = intIn(name, value, 1, 1_000_000);
                case "--duration" -> duration = seconds(name, value, 0.001);
                case "--warmup" -> warmup = seconds(name, value, 0);
                case "--drain" -> drain = seconds(name, value, 0);
                case "--run-id" -> {
                    if (!RUN_ID.matcher(value).matches()) {
                        throw new UsageException("--run-id must match [a-z0-9]{1,12}, got '" + value + "'");
                    }
                    runId = value;
                }
                case "--user-prefix" -> userPrefix = value;
                case "--password" -> {
                    if (value.length() < 8 || value.length() > 128) {
                        throw new UsageException("--password must be 8..128 characters");
                    }
                    password = value;
                }
                case "--setup-concurrency" -> setupConcurrency = intIn(name, value, 1, 10_000);
                case "--connect-concurrency" -> connectConcurrency = intIn(name, value, 1, 100_000);
                case "--source-addresses" -> sourceAddresses = intIn(name, value, 1, MAX_SOURCE_ADDRESSES);
                case "--body-bytes" -> bodyBytes = intIn(name, value, 0, 1_000_000);
                case "--received-interval-ms" -> receivedInterval =
                        Duration.ofMillis(intIn(name, value, 1, 3_600_000));
                case "--server-pid" -> serverPid = OptionalLong.of(intIn(name, value, 1, Integer.MAX_VALUE));
                case "--protocol" -> protocol = parseProtocol(value);
                case "--xmpp-domain" -> {
                    if (!XMPP_DOMAIN.matcher(value).matches()) {
                        throw new UsageException("--xmpp-domain must be a host name, got '" + value + "'");
                    }
                    xmppDomain = value;
                }
                default -> throw new UsageException("unknown option " + name);
            }
        }

        if (url == null) {
            throw new UsageException("--url is required");
        }
        if (runId == null) {
            runId = randomRunId();
        }
        if (userPrefix == null) {
            userPrefix = "b" + runId + "u";
        }
        String first = userPrefix + 0;
        String last = userPrefix + (users - 1);
        if (!USERNAME.matcher(first).matches() || !USERNAME.matcher(last).matches()) {
            throw new UsageException("--user-prefix '" + userPrefix + "' gives user names like '" + last
                    + "', which do not match [a-z0-9_.-]{3,32}");
        }
        switch (mode) {
            case PAIRS -> {
                if (users < 2 || users % 2 != 0) {
                    throw new UsageException("pairs mode needs an even --users of at least 2, got " + users);
                }
            }
            case GROUP -> {
                if (groupSize > users || users % groupSize != 0) {
                    throw new UsageException("group mode needs --users to be a multiple of --group-size ("
                            + users + " users, group size " + groupSize + ")");
                }
            }
            case IDLE, STORM -> { }
        }
        if (groupSizeGiven && mode != Mode.GROUP) {
            throw new UsageException("--group-size only applies to --mode group");
        }
        if (protocol == Protocol.XMPP) {
            if (mode == Mode.STORM) {
                throw new UsageException("--protocol xmpp supports --mode pairs, group and idle");
            }
            if (sendRead) {
                throw new UsageException("--read has no XMPP counterpart here; leave it out with --protocol xmpp");
            }
            if (xmppDomain == null) {
                xmppDomain = "localhost";
            }
        } else if (xmppDomain != null) {
            throw new UsageException("--xmpp-domain only applies to --protocol xmpp");
        }
        return new BenchOptions(url, mode, users, groupSize, rate, window, duration, warmup, drain, runId,
                userPrefix, password, setupConcurrency, connectConcurrency, sourceAddresses, bodyBytes,
                receivedInterval, sendRead, serverPid, quiet, protocol, xmppDomain);
    }

    public String username(int index) {
        return userPrefix + index;
    }

    /** How many receivers each message has: the peer in pairs mode, the other members in group mode. */
    public int fanout() {
        return switch (mode) {
            case PAIRS -> 1;
            case GROUP -> groupSize - 1;
            case IDLE, STORM -> 0;
        };
    }

    private static void noValue(String name, String inlineValue) throws UsageException {
        if (inlineValue != null) {
            throw new UsageException(name + " takes no value");
        }
    }

    private static URI parseUrl(String value) throws UsageException {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new UsageException("--url is not a URL: " + value);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http")) {
            // the driver measures the node from beside it; TLS would measure the TLS library on both ends
            throw new UsageException("--url must start with http://, got '" + value + "'");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new UsageException("--url needs a host, got '" + value + "'");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        try {
            return new URI(scheme, null, uri.getHost(), uri.getPort(), path.isEmpty() ? null : path, null, null);
        } catch (URISyntaxException e) {
            throw new UsageException("--url is not a URL: " + value);
        }
    }

    private static Mode parseMode(String value) throws UsageException {
        for (Mode m : Mode.values()) {
            if (m.flagValue().equals(value)) {
                return m;
            }
        }
        throw new UsageException("--mode must be pairs, group, idle or storm, got '" + value + "'");
    }

    private static Protocol parseProtocol(String value) throws UsageException {
        for (Protocol p : Protocol.values()) {
            if (p.flagValue().equals(value)) {
                return p;
            }
        }
        throw new UsageException("--protocol must be parley or xmpp, got '" + value + "'");
    }

    private static int intIn(String name, String value, int min, int max) throws UsageException {
        long parsed;
        try {
            parsed = Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(name + " needs a whole number, got '" + value + "'");
        }
        if (parsed < min || parsed > max) {
            throw new UsageException(name + " must be between " + min + " and " + max + ", got " + value);
        }
        return (int) parsed;
    }

    private static double doubleIn(String name, String value, double min, double max) throws UsageException {
        double parsed;
        try {
            parsed = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new UsageException(name + " needs a number, got '" + value + "'");
        }
        if (!(parsed >= min && parsed <= max)) {
            throw new UsageException(name + " must be between " + fmt(min) + " and " + fmt(max) + ", got " + value);
        }
        return parsed;
    }

    private static Duration seconds(String name, String value, double min) throws UsageException {
        double s = doubleIn(name, value, min, 7 * 24 * 3600);
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String randomRunId() {
        return Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36), 36);
    }
}
