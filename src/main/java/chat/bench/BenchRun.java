package chat.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One benchmark run, start to finish: accounts and groups over REST, sockets, traffic (or idle
 * holding), drain, and the measurements for the summary.
 */
final class BenchRun {

    private static final long HELLO_TIMEOUT_MS = 30_000;
    private static final long HEALTH_WAIT_MS = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BenchOptions options;
    private final PrintStream log;
    private final Topology topology;
    private final AtomicInteger disconnects = new AtomicInteger();
    private volatile boolean closing;

    BenchRun(BenchOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
        this.topology = switch (options.mode()) {
            case PAIRS -> new Topology.Pairs(options.users());
            case GROUP -> new Topology.Groups(options.users(), options.groupSize());
            case IDLE, STORM -> new Topology.Nobody();
        };
    }

    Map<String, Object> execute() throws BenchFailure, InterruptedException {
        boolean xmpp = options.protocol() == BenchOptions.Protocol.XMPP;
        ServerApi api = new ServerApi(options.url());
        if (!xmpp) {
            awaitHealthy(api);
        }

        long setupStart = System.nanoTime();
        BenchUser[] users = xmpp ? xmppUsers() : setUpAccounts(api);
        if (options.mode() == BenchOptions.Mode.GROUP && xmpp) {
            for (BenchUser u : users) {
                u.targetUser = options.runId() + "-g" + u.index / options.groupSize(); // a room each group's members join
            }
        } else if (options.mode() == BenchOptions.Mode.GROUP) {
            createGroups(api, users);
        } else if (options.mode() == BenchOptions.Mode.PAIRS) {
            for (BenchUser u : users) {
                u.targetJson = quote("user:" + users[u.index ^ 1].userId);
                u.targetUser = users[u.index ^ 1].userId;
            }
        }
        double setupSeconds = (System.nanoTime() - setupStart) / 1e9;

        Traffic traffic = new Traffic(options, topology, users, System::nanoTime);
        traffic.epochNanos = System.nanoTime(); // load() restarts the clock when sending begins

        WsConnector connector = openConnector();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("bench-ticker"));
        try {
            OptionalLong rssBefore = serverRss();
            LatencyRecorder connectLatency = new LatencyRecorder();
            if (options.mode() == BenchOptions.Mode.STORM) {
                return storm(connector, users, traffic, connectLatency, setupSeconds);
            }
            long connectStart = System.nanoTime();
            int connectFailures = connectAll(connector, users, traffic, connectLatency);
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;

            long receivedEveryMs = options.receivedInterval().toMillis();
            ticker.scheduleWithFixedDelay(() -> safely(() -> traffic.confirmUpdates(false), traffic),
                    receivedEveryMs, receivedEveryMs, TimeUnit.MILLISECONDS);

            Window window = options.mode() == BenchOptions.Mode.IDLE
                    ? hold(users)
                    : load(users, traffic);

            // the last confirmation comes from this thread, so the ticker must be done first
            ticker.shutdown();
            ticker.awaitTermination(5, TimeUnit.SECONDS);
            traffic.confirmUpdates(true);
            Thread.sleep(Math.min(1_000, Math.max(100, 2 * receivedEveryMs)));
            int held = countOpen(users);
            closeAll(users);

            DeliveryLedger.Tally tally = traffic.ledger.tally();
            double cpuNanos = window.driverCpuNanos();
            double cpuPercent = ProcessStats.percentOfMachine((long) cpuNanos, window.wallNanos(), ProcessStats.cores());
            Map<String, Long> errorKinds = new TreeMap<>(traffic.errorKinds());
            if (connectFailures > 0) {
                errorKinds.merge("driver:connect_failed", (long) connectFailures, Long::sum);
            }
            Summary.Measurements m = new Summary.Measurements(
                    tally,
                    traffic.deliveryLatency.total(),
                    traffic.ackLatency.total(),
                    connectLatency.total(),
                    traffic.measuredAcked(),
                    traffic.measuredDelivered(),
                    options.mode() == BenchOptions.Mode.IDLE ? 0 : options.duration().toNanos() / 1e9,
                    held,
                    connectFailures,
                    disconnects.get(),
                    cpuPercent,
                    window.wallNanos() > 0 ? cpuNanos / window.wallNanos() : 0,
                    ProcessStats.driverHeapUsedBytes(),
                    errorKinds,
                    traffic.failed(),
                    traffic.receiptsDelivered(),
                    traffic.receiptsRead(),
                    traffic.seqGaps(),
                    traffic.groupOrderViolations(),
                    setupSeconds,
                    connectSeconds,
                    window.serverCpuPercent(),
                    window.serverRss(),
                    rssBefore);
            Map<String, Object> fields = Summary.fields(options, m);
            if (tally.lost() > 0 && !xmpp) {
                chaseLost(api, users, traffic, fields);
            }
            return fields;
        } finally {
            ticker.shutdownNow();
            closing = true;
            connector.close();
        }
    }

    // ---- setup ------------------------------------------------------------------------------------

    private void awaitHealthy(ServerApi api) throws BenchFailure, InterruptedException {
        long deadline = System.currentTimeMillis() + HEALTH_WAIT_MS;
        String last;
        while (true) {
            try {
                int status = api.health();
                if (status == 200) {
                    return;
                }
                last = "GET /api/v1/health answered " + status;
            } catch (java.io.IOException e) {
                // nothing listening is not "starting up": say so at once
                throw new BenchFailure("cannot reach " + options.url() + " (" + WsConnector.describe(e) + ")");
            }
            if (System.currentTimeMillis() > deadline) {
                throw new BenchFailure("server not ready: " + last);
            }
            Thread.sleep(500);
        }
    }

    private BenchUser[] setUpAccounts(ServerApi api) throws BenchFailure, InterruptedException {
        int n = options.users();
        progress("setup: registering and logging in %d users as %s0..%s%d (concurrency %d)", n,
                options.userPrefix(), options.userPrefix(), n - 1, options.setupConcurrency());
        BenchUser[] users = new BenchUser[n];
        ExecutorService pool = Executors.newFixedThreadPool(options.setupConcurrency(), daemon("bench-setup"));
        AtomicInteger done = new AtomicInteger();
        try {
            List<Future<ServerApi.Session>> sessions = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String name = options.username(i);
                sessions.add(pool.submit(() -> {
                    ServerApi.Session s = api.registerAndLogin(name, options.password());
                    done.incrementAndGet();
                    return s;
                }));
            }
            long lastReport = System.nanoTime();
            for (int i = 0; i < n; i++) {
                ServerApi.Session s = awaitSetupStep(sessions.get(i));
                users[i] = new BenchUser(i, s.userId(), s.token());
                if (System.nanoTime() - lastReport > 2_000_000_000L) {
                    progress("setup: %d/%d users ready", done.get(), n);
                    lastReport = System.nanoTime();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return users;
    }

    /** XMPP users register in-band on their own sockets, so there is nothing to do before connecting. */
    private BenchUser[] xmppUsers() {
        BenchUser[] users = new BenchUser[options.users()];
        for (int i = 0; i < users.length; i++) {
            users[i] = new BenchUser(i, options.username(i), null);
        }
        return users;
    }

    private static <T> T awaitSetupStep(Future<T> f) throws BenchFailure, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BenchFailure bf) {
                throw bf;
            }
            throw new BenchFailure("setup failed: " + WsConnector.describe(e.getCause()));
        }
    }

    private void createGroups(ServerApi api, BenchUser[] users) throws BenchFailure, InterruptedException {
        int size = options.groupSize();
        int groups = users.length / size;
        progress("setup: creating %d groups of %d", groups, size);
        ExecutorService pool = Executors.newFixedThreadPool(options.setupConcurrency(), daemon("bench-groups"));
        try {
            List<Future<String>> ids = new ArrayList<>(groups);
            for (int g = 0; g < groups; g++) {
                int first = g * size;
                List<String> others = new ArrayList<>();
                for (int m = first + 1; m < first + size; m++) {
                    others.add(users[m].userId);
                }
                String name = "bench " + options.runId() + " group " + g;
                ServerApi.Session creator = new ServerApi.Session(users[first].userId, users[first].token);
                ids.add(pool.submit(() -> api.createGroup(creator, name, others)));
            }
            for (int g = 0; g < groups; g++) {
                String gid;
                try {
                    gid = awaitSetupStep(ids.get(g));
                } catch (BenchFailure e) {
                    throw new BenchFailure("group mode needs POST /api/v1/groups: " + e.getMessage());
                }
                String target = quote("group:" + gid);
                for (int m = g * size; m < (g + 1) * size; m++) {
                    users[m].targetJson = target;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- sockets ----------------------------------------------------------------------------------

    private WsConnector openConnector() throws BenchFailure {
        String host = options.url().getHost();
        InetAddress target;
        try {
            target = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new BenchFailure("cannot resolve " + host);
        }
        SourceAddresses sources = SourceAddresses.plan(target, options.sourceAddresses());
        String wsHost = sources.size() > 0 ? target.getHostAddress() : host;
        progress("connect: %s", sources.size() > 0 ? "source addresses 127.0.0.1-" + sources.size() : "system-chosen source address");
        try {
            return new WsConnector(options.url(), wsHost, sources, options.protocol());
        } catch (java.io.IOException e) {
            throw new BenchFailure("cannot open a selector: " + WsConnector.describe(e));
        }
    }

    private int connectAll(WsConnector connector, BenchUser[] users, Traffic traffic, LatencyRecorder connectLatency)
            throws BenchFailure, InterruptedException {
        progress("connect: opening %d WebSockets (concurrency %d)", users.length, options.connectConcurrency());

        Semaphore permits = new Semaphore(options.connectConcurrency());
        Map<String, AtomicInteger> failures = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger connected = new AtomicInteger();
        List<CompletableFuture<Long>> hellos = new ArrayList<>(users.length);
        long lastReport = System.nanoTime();
        for (BenchUser u : users) {
            permits.acquire();
            long started = System.nanoTime();
            CompletableFuture<Long> hello = u.hello.orTimeout(HELLO_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            hellos.add(hello);
            hello.whenComplete((seq, failure) -> {
                permits.release();
                if (failure == null) {
                    connectLatency.recordNanos(System.nanoTime() - started);
                    connected.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    String reason = cause instanceof TimeoutException ? "no hello within " + HELLO_TIMEOUT_MS + " ms"
                            : cause.getMessage();
                    failures.computeIfAbsent(reason, k -> new AtomicInteger()).incrementAndGet();
                    WsConnector.close(u);
                }
            });
            u.open = true; // lets hello and frames through; cleared if the socket ends
            connector.connect(u, frame -> traffic.onFrame(u, frame), this::onSocketClosed)
                    .whenComplete((ok, failure) -> {
                        if (failure != null) {
                            u.hello.completeExceptionally(failure);
                        } else if (traffic.xmpp != null) {
                            traffic.xmpp.start(u);
                        }
                    });
            if (System.nanoTime() - lastReport > 2_000_000_000L) {
                progress("connect: %d open, %d failed of %d", connected.get(), failed.get(), users.length);
                lastReport = System.nanoTime();
            }
        }
        for (CompletableFuture<Long> h : hellos) {
            try {
                h.get();
            } catch (ExecutionException e) {
                // counted in whenComplete
            }
        }
        for (BenchUser u : users) {
            if (u.hello.isCompletedExceptionally()) {
                u.open = false;
            }
        }
        progress("connect: %d open, %d failed of %d", connected.get(), failed.get(), users.length);
        if (!failures.isEmpty()) {
            StringBuilder why = new StringBuilder();
            failures.forEach((reason, count) -> why.append(String.format(Locale.ROOT, "%n  %d x %s", count.get(), reason)));
            progress("connect: failures:%s", why);
            if (connected.get() == 0) {
                throw new BenchFailure("no WebSocket could be opened:" + why);
            }
            if (options.mode() == BenchOptions.Mode.PAIRS || options.mode() == BenchOptions.Mode.GROUP) {
                throw new BenchFailure(failed.get() + " of " + users.length
                        + " WebSockets failed to open, so traffic results would be wrong:" + why);
            }
        }
        return failed.get();
    }

    private void onSocketClosed(BenchUser user, Throwable failure) {
        boolean wasOpen = user.open && user.hello.isDone() && !user.hello.isCompletedExceptionally();
        user.open = false;
        if (!closing && wasOpen) {
            disconnects.incrementAndGet();
            progress("socket of %s closed%s", user.userId, failure == null ? "" : ": " + WsConnector.describe(failure));
        }
    }

    private static int countOpen(BenchUser[] users) {
        int n = 0;
        for (BenchUser u : users) {
            if (u.open) {
                n++;
            }
        }
        return n;
    }

    private void closeAll(BenchUser[] users) throws InterruptedException {
        closing = true;
        for (BenchUser u : users) {
            WsConnector.close(u);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (countOpen(users) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    // ---- phases -----------------------------------------------------------------------------------

    /** What the measured part of the run cost. */
    private record Window(long wallNanos, double driverCpuNanos, OptionalDouble serverCpuPercent,
                          OptionalLong serverRss) {
    }

    private final class WindowMeter {
        private final long wallStart = System.nanoTime();
        private final long cpuStart = ProcessStats.driverCpuNanos();
        private final OptionalLong serverCpuStart = serverCpu();

        Window stop() {
            long wall = System.nanoTime() - wallStart;
            long cpu = ProcessStats.driverCpuNanos() - cpuStart;
            OptionalLong serverCpuEnd = serverCpu();
            OptionalDouble serverPercent = serverCpuStart.isPresent() && serverCpuEnd.isPresent()
                    ? OptionalDouble.of(ProcessStats.percentOfMachine(
                            serverCpuEnd.getAsLong() - serverCpuStart.getAsLong(), wall, ProcessStats.cores()))
                    : OptionalDouble.empty();
            return new Window(wall, cpu, serverPercent, serverRss());
        }
    }

    private Window hold(BenchUser[] users) throws InterruptedException {
        long durationNanos = options.duration().toNanos();
        progress("idle: holding %d connections for %.1f s", countOpen(users), durationNanos / 1e9);
        WindowMeter meter = new WindowMeter();
        long end = System.nanoTime() + durationNanos;
        while (true) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 5_000_000_000L));
            if (!options.quiet() && end - System.nanoTime() > 0) {
                progress("idle: %d open, driver heap %.0f MB%s", countOpen(users),
                        ProcessStats.driverHeapUsedBytes() / 1048576.0,
                        serverRss().isPresent() ? String.format(Locale.ROOT, ", server RSS %.0f MB",
                                serverRss().getAsLong() / 1048576.0) : "");
            }
        }
        return meter.stop();
    }

    /**
     * Connect storms: every user opens its socket at once (as after a server restart or a network
     * blip), then all close; repeated until --duration has passed (at least one round).
     */
    private Map<String, Object> storm(WsConnector connector, BenchUser[] users, Traffic traffic,
                                      LatencyRecorder connectLatency, double setupSeconds)
            throws BenchFailure, InterruptedException {
        long end = System.nanoTime() + options.duration().toNanos();
        WindowMeter meter = new WindowMeter();
        int rounds = 0;
        long connects = 0;
        int failures = 0;
        int lastRoundOpen = 0;
        long connectingNanos = 0;
        do {
            if (rounds > 0) {
                for (int i = 0; i < users.length; i++) {
                    BenchUser old = users[i];
                    users[i] = new BenchUser(old.index, old.userId, old.token);
                }
            }
            rounds++;
            long started = System.nanoTime();
            failures += connectAll(connector, users, traffic, connectLatency);
            connectingNanos += System.nanoTime() - started;
            lastRoundOpen = countOpen(users);
            connects += lastRoundOpen;
            closeAll(users);
            closing = false;
        } while (System.nanoTime() < end);
        Window window = meter.stop();

        Map<String, Long> errorKinds = new TreeMap<>(traffic.errorKinds());
        if (failures > 0) {
            errorKinds.merge("driver:connect_failed", (long) failures, Long::sum);
        }
        double cpuNanos = window.driverCpuNanos();
        Summary.Measurements m = new Summary.Measurements(
                traffic.ledger.tally(), traffic.deliveryLatency.total(), traffic.ackLatency.total(),
                connectLatency.total(), 0, 0, 0, lastRoundOpen, failures, disconnects.get(),
                ProcessStats.percentOfMachine((long) cpuNanos, window.wallNanos(), ProcessStats.cores()),
                window.wallNanos() > 0 ? cpuNanos / window.wallNanos() : 0,
                ProcessStats.driverHeapUsedBytes(), errorKinds, 0, 0, 0, null, 0, setupSeconds,
                connectingNanos / 1e9, window.serverCpuPercent(), window.serverRss(), OptionalLong.empty());
        Map<String, Object> fields = Summary.fields(options, m);
        fields.put("rounds", rounds);
        fields.put("connects", connects);
        fields.put("connectsPerSec", Summary.round(connectingNanos > 0 ? connects / (connectingNanos / 1e9) : 0));
        return fields;
    }

    private Window load(BenchUser[] users, Traffic traffic) throws InterruptedException {
        long warmup = options.warmup().toNanos();
        long sendFor = warmup + options.duration().toNanos();
        traffic.epochNanos = System.nanoTime();
        traffic.measureFromNanos = warmup;
        traffic.measureUntilNanos = sendFor;
        progress("load: %s, %d users, %s, warmup %.1f s, measuring %.1f s", options.mode().flagValue(), users.length,
                options.rate() > 0 ? String.format(Locale.ROOT, "open loop at %.0f msg/s", options.rate())
                        : "window " + options.window() + " per sender",
                warmup / 1e9, options.duration().toNanos() / 1e9);

        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(daemon("bench-progress"));
        AtomicLong lastSent = new AtomicLong();
        if (!options.quiet()) {
            reporter.scheduleAtFixedRate(() -> safely(() -> reportProgress(traffic, lastSent), traffic),
                    1, 1, TimeUnit.SECONDS);
        }
        WindowMeter meter = null;
        try {
            if (options.rate() > 0) {
                meter = openLoop(users, traffic, warmup, sendFor);
            } else {
                meter = windowed(users, traffic, warmup, sendFor);
            }
            Window window = meter.stop();
            drain(traffic, users);
            return window;
        } finally {
            traffic.refilling = false;
            reporter.shutdownNow();
        }
    }

    /**
     * Sends on a fixed schedule: message n is due at n/rate seconds, from user n mod users. A late
     * driver still sends every due message, stamped with the time it was due, so a stall in the
     * server (or here) shows up in the latencies instead of thinning out the samples.
     */
    private WindowMeter openLoop(BenchUser[] users, Traffic traffic, long warmup, long sendFor) {
        double intervalNanos = 1e9 / options.rate();
        WindowMeter meter = warmup == 0 ? new WindowMeter() : null;
        for (long n = 0; ; n++) {
            long due = (long) (n * intervalNanos);
            if (due >= sendFor) {
                break;
            }
            if (meter == null && due >= warmup) {
                meter = new WindowMeter();
            }
            long wait = due - traffic.nowNanos();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            BenchUser sender = users[(int) (n % users.length)];
            traffic.send(sender, due);
        }
        return meter != null ? meter : new WindowMeter();
    }

    /** Every sender keeps up to --window messages unacked; each ack (or rejection) sends the next one. */
    private WindowMeter windowed(BenchUser[] users, Traffic traffic, long warmup, long sendFor)
            throws InterruptedException {
        traffic.refilling = true;
        for (int w = 0; w < options.window(); w++) {
            for (BenchUser u : users) {
                traffic.send(u, traffic.nowNanos());
            }
        }
        sleepUntil(traffic, warmup);
        WindowMeter meter = new WindowMeter();
        sleepUntil(traffic, sendFor);
        traffic.refilling = false;
        return meter;
    }

    private static void sleepUntil(Traffic traffic, long relativeNanos) throws InterruptedException {
        long left;
        while ((left = relativeNanos - traffic.nowNanos()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }

    /** Waits until every send is acked (or rejected) and every acked message delivered, up to --drain. */
    private void drain(Traffic traffic, BenchUser[] users) throws InterruptedException {
        long deadline = System.nanoTime() + options.drain().toNanos();
        while (System.nanoTime() < deadline) {
            if (countOpen(users) == 0) {
                return;
            }
            if (traffic.outstanding() <= 0) {
                if (traffic.ledger.missing() == 0) {
                    return;
                }
                Thread.sleep(200); // the missing count walks every stream: not in a tight loop
            } else {
                Thread.sleep(20);
            }
        }
        progress("drain: gave up after %.1f s with %d sends unacked and %d acked deliveries missing",
                options.drain().toNanos() / 1e9, traffic.outstanding(), traffic.ledger.missing());
    }

    private void reportProgress(Traffic traffic, AtomicLong lastSent) {
        long now = traffic.nowNanos();
        long sent = traffic.ledger.sentSoFar();
        var interval = traffic.deliveryLatency.takeInterval();
        traffic.ackLatency.takeInterval();
        String phase = now < traffic.measureFromNanos ? "warmup" : now < traffic.measureUntilNanos ? "measure" : "drain";
        progress("[%6.1fs %-7s] sent %d (+%d/s) acked %d delivered %d outstanding %d errors %d p50 %s p99 %s ms",
                now / 1e9, phase, sent, sent - lastSent.getAndSet(sent), traffic.ledger.ackedSoFar(),
                traffic.ledger.deliveredSoFar(), traffic.outstanding(), traffic.errorCount(),
                fmtMs(LatencyRecorder.millisAt(interval, 50)), fmtMs(LatencyRecorder.millisAt(interval, 99)));
    }

    // ---- lost messages ----------------------------------------------------------------------------

    private static final int LOST_EXAMPLES = 10;
    private static final int UPDATES_PAGE = 500;

    /**
     * For a few lost messages, asks the server (REST) whether the message is in the receiver's update
     * stream: "in the stream" means stored but never pushed on the live socket, "not in the stream"
     * means it never reached the receiver's stream at all. Both go to stderr with the details needed
     * to reproduce; the counts go into the summary.
     */
    private void chaseLost(ServerApi api, BenchUser[] users, Traffic traffic, Map<String, Object> fields)
            throws InterruptedException {
        int checked = 0;
        int inStream = 0;
        for (DeliveryLedger.Missing miss : traffic.ledger.missingExamples(LOST_EXAMPLES)) {
            BenchUser sender = users[miss.sender()];
            BenchUser receiver = users[miss.receiver()];
            String prefix = "bench " + options.runId() + " " + miss.sender() + " " + miss.seq() + " ";
            String where;
            try {
                long foundAt = findInStream(api, receiver, prefix);
                checked++;
                if (foundAt > 0) {
                    inStream++;
                    where = "IS in " + receiver.userId + "'s stream at seq " + foundAt
                            + " but never arrived on its socket (live since seq " + receiver.helloSeq + ")";
                } else {
                    where = "is NOT in " + receiver.userId + "'s stream (checked every update after seq "
                            + receiver.helloSeq + ")";
                }
            } catch (BenchFailure e) {
                where = "could not be checked: " + e.getMessage();
            }
            log.println("bench: lost: " + sender.userId + " -> " + receiver.userId + " message #" + miss.seq()
                    + " (text starts '" + prefix + "', acked): " + where);
        }
        fields.put("lostChecked", checked);
        fields.put("lostFoundInStream", inStream);
    }

    /** @return the seq of the message whose text starts with {@code prefix}, or 0 if absent */
    private static long findInStream(ServerApi api, BenchUser user, String prefix)
            throws BenchFailure, InterruptedException {
        ServerApi.Session session = new ServerApi.Session(user.userId, user.token);
        long after = Math.max(0, user.helloSeq);
        for (int page = 0; page < 10_000; page++) {
            com.fasterxml.jackson.databind.JsonNode res = api.updates(session, after, UPDATES_PAGE);
            com.fasterxml.jackson.databind.JsonNode updates = res.path("updates");
            for (com.fasterxml.jackson.databind.JsonNode u : updates) {
                if (u.path("type").asText("").equals("message")
                        && u.path("body").path("text").asText("").startsWith(prefix)) {
                    return u.path("seq").asLong();
                }
                after = Math.max(after, u.path("seq").asLong(after));
            }
            if (!res.path("more").asBoolean(false) || updates.isEmpty()) {
                return 0;
            }
        }
        return 0;
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private OptionalLong serverCpu() {
        return options.serverPid().isPresent() ? ProcessStats.cpuNanosOf(options.serverPid().getAsLong()) : OptionalLong.empty();
    }

    private OptionalLong serverRss() {
        return options.serverPid().isPresent() ? ProcessStats.rssBytesOf(options.serverPid().getAsLong()) : OptionalLong.empty();
    }

    private void progress(String format, Object... args) {
        if (!options.quiet()) {
            log.println("bench: " + String.format(Locale.ROOT, format, args));
        }
    }

    private void safely(Runnable r, Traffic traffic) {
        try {
            r.run();
        } catch (RuntimeException e) {
            traffic.error("driver:internal:" + e.getClass().getSimpleName());
        }
    }

    private static String fmtMs(Double ms) {
        return ms == null ? "-" : String.format(Locale.ROOT, "%.1f", ms);
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
