package chat.server;

import chat.account.Account;
import chat.account.Directory;
import chat.account.PasswordHasher;
import chat.auth.TokenService;
import chat.cluster.AdminRoutes;
import chat.cluster.LeaveGate;
import chat.cluster.LiveSockets;
import chat.ephemeral.ConversationSettings;
import chat.ephemeral.Sealer;
import chat.gateway.ApiRoutes;
import chat.gateway.Gateway;
import chat.gateway.RateLimiter;
import chat.group.Group;
import chat.group.Groups;
import chat.hashing.ConsistentHashShardAllocationStrategy;
import chat.media.MediaService;
import chat.metrics.Metrics;
import chat.presence.Presence;
import chat.storage.Database;
import chat.storage.H2Compaction;
import chat.storage.Schema;
import com.zaxxer.hikari.HikariDataSource;
import java.util.concurrent.ScheduledExecutorService;
import chat.user.ChatSettings;
import chat.user.UpdateLog;
import chat.user.User;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Parley node: database schema, actor system (a cluster, of one node unless seed nodes are
 * configured), sharded entities, and the HTTP/WebSocket listener. Used by {@code Main} and by tests.
 */
public final class ParleyServer {
  private static final Logger log = LoggerFactory.getLogger(ParleyServer.class);

  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final AtomicReference<String> health;
  private final Path dataDir;

  private ParleyServer(ActorSystem<Void> system, ServerBinding binding, AtomicReference<String> health, Path dataDir) {
    this.system = system;
    this.binding = binding;
    this.health = health;
    this.dataDir = dataDir;
  }

  /** Starts a node with a fully layered (not yet resolved) configuration; returns once it serves clients. */
  public static ParleyServer start(Config layered) {
    Config unresolved = layered
        .withFallback(ConfigFactory.parseResources("parley-runtime.conf"))
        .withFallback(ConfigFactory.defaultReference());
    Path dataDir = Path.of(unresolved.getString("parley.data-dir")).toAbsolutePath().normalize();
    createDirectories(dataDir);
    Config config = withDatabaseDefaults(unresolved, dataDir).resolve();
    Config parley = config.getConfig("parley");

    Config db = parley.getConfig("db");
    Schema.ensure(db.getString("url"), db.getString("user"), db.getString("password"));

    TokenService tokens = new TokenService(tokenSecret(parley, dataDir), parley.getDuration("auth.token-ttl").toMillis());
    PasswordHasher hasher = new PasswordHasher(parley.getInt("auth.password-iterations"));
    ExecutorService hashing = Executors.newFixedThreadPool(parley.getInt("auth.hashing-threads"), r -> {
      Thread t = new Thread(r, "parley-password-hashing");
      t.setDaemon(true);
      return t;
    });

    HikariDataSource tables = Database.pool(db.getString("url"), db.getString("user"), db.getString("password"), 4);
    Sealer sealer = new Sealer(tables);
    H2Compaction compaction = H2Compaction.startIfEmbedded(db.getString("url"), tables, db.getDuration("h2-compaction.interval"),
        db.getInt("h2-compaction.target-fill-rate"), db.getMemorySize("h2-compaction.write-limit").toBytes());

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "parley", config);
    AtomicReference<String> health = new AtomicReference<>("starting");
    try {
      log.info("actor system started");
      Cluster cluster = Cluster.get(system);
      if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }

      ChatSettings chat = ChatSettings.from(parley);
      Presence.Settings presenceSettings = new Presence.Settings(parley.getDuration("presence.flush-interval"));
      ClusterSharding sharding = ClusterSharding.get(system);
      MediaService media = new MediaService(system, config, dataDir, tokens, tables);
      // Shards are placed on nodes by the consistent-hash ring (one strategy per entity type: each
      // type's coordinator owns its own), so scaling moves about 1/(n+1) of them (docs/cluster.md).
      UpdateLog updateLog = new UpdateLog(system); // one for the node: entities and sockets read streams through it
      sharding.init(Entity.of(User.TYPE_KEY, entity -> User.create(entity, chat, sealer, media, updateLog))
          .withAllocationStrategy(ConsistentHashShardAllocationStrategy.create(config, User.TYPE_KEY.name())));
      sharding.init(Entity.of(Account.TYPE_KEY, entity -> Account.create(entity, chat.passivateAfter()))
          .withAllocationStrategy(ConsistentHashShardAllocationStrategy.create(config, Account.TYPE_KEY.name())));
      sharding.init(Entity.of(Presence.TYPE_KEY, entity -> Presence.create(entity, presenceSettings))
          .withAllocationStrategy(ConsistentHashShardAllocationStrategy.create(config, Presence.TYPE_KEY.name())));
      Group.Settings groupSettings = Groups.settings(parley);
      // Groups with unfinished fan-out must resume after a crash even if nobody touches them:
      // remembered entities (kept in the journal) restart on startup; idle groups passivate and are forgotten.
      sharding.init(Entity.of(Group.TYPE_KEY, entity -> Group.create(entity, groupSettings, sealer, media))
          .withAllocationStrategy(ConsistentHashShardAllocationStrategy.create(config, Group.TYPE_KEY.name()))
          .withSettings(ClusterShardingSettings.create(system)
              .withRememberEntities(true)
              .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced())));

      Metrics metrics = Metrics.of(system);
      Directory directory = new Directory(sharding);
      RateLimiter limiter = new RateLimiter(parley.getDouble("limits.frames-per-second"), parley.getDouble("limits.frames-burst"));
      Gateway gateway = new Gateway(system, directory, limiter, Gateway.Settings.from(parley), metrics, sealer, media, updateLog);
      List<Route> extra = List.of(
          media.routes(),
          new Groups(tokens, sharding, directory).routes(),
          new ConversationSettings(tokens, sharding, directory, parley.getDuration("ephemeral.max-timer")).routes(),
          new AdminRoutes(system, List.of(User.TYPE_KEY, Account.TYPE_KEY, Presence.TYPE_KEY, Group.TYPE_KEY),
              parley.getString("admin.token"), parley.getDuration("admin.stats-timeout")).routes());
      ScheduledExecutorService shredder = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "parley-shredder");
        t.setDaemon(true);
        return t;
      });
      long shredEvery = parley.getDuration("ephemeral.shred-interval").toMillis();
      shredder.scheduleWithFixedDelay(() -> {
        long now = System.currentTimeMillis();
        sealer.shredExpired(now);
        media.deleteExpired(now); // media referenced only by expired messages goes with them
      }, shredEvery, shredEvery, TimeUnit.MILLISECONDS);
      LiveSockets sockets = LiveSockets.of(system);
      Route routes = new LeaveGate(sockets).guard(new ApiRoutes(gateway, tokens, hasher, hashing, health::get, extra).routes());

      ServerBinding binding = Http.get(system)
          .newServerAt(parley.getString("http.host"), parley.getInt("http.port"))
          .bind(routes)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);

      CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
      Duration leaveDrain = parley.getDuration("leave.drain");
      shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "parley-health-leaving", () -> {
        health.set("leaving");
        sockets.refuseNew();
        // Let the load balancer see the 503 first, so that reconnecting clients land elsewhere.
        boolean othersUp = false;
        for (Member m : cluster.state().getMembers()) {
          othersUp |= m.status() == MemberStatus.up() && !m.address().equals(cluster.selfMember().address());
        }
        long drainMs = othersUp ? leaveDrain.toMillis() : 0;
        log.info("leaving: health 503; closing open sockets in {} ms", drainMs);
        // Before this node's shards move: clients reconnect to another node and sync from the journal.
        return CompletableFuture.supplyAsync(() -> {
          int closed = sockets.closeAllForLeave();
          log.info("leaving: asked {} sockets to reconnect elsewhere", closed);
          return Done.getInstance();
        }, CompletableFuture.delayedExecutor(drainMs, TimeUnit.MILLISECONDS));
      });
      shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "parley-http-unbind",
          () -> binding.unbind().thenApply(x -> Done.getInstance()));
      shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "parley-http-terminate",
          () -> binding.terminate(Duration.ofSeconds(5)).thenApply(x -> Done.getInstance()));
      shutdown.addTask(CoordinatedShutdown.PhaseActorSystemTerminate(), "parley-hashing-pool", () -> {
        hashing.shutdownNow();
        shredder.shutdownNow();
        if (compaction != null) compaction.close();
        tables.close();
        return CompletableFuture.completedFuture(Done.getInstance());
      });

      log.info("bound {}; waiting to be Up", binding.localAddress());
      awaitUp(cluster, Duration.ofSeconds(30));
      health.set("ok");
      log.info("Parley node serving on {} (data dir {})", binding.localAddress(), dataDir);
      return new ParleyServer(system, binding, health, dataDir);
    } catch (Exception e) {
      if (compaction != null) compaction.close();
      system.terminate();
      throw new IllegalStateException("Parley failed to start: " + e.getMessage(), e);
    }
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  public Path dataDir() {
    return dataDir;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** Graceful stop through Coordinated Shutdown; returns when the actor system has terminated. */
  public void stop() {
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("node did not stop within 60 s", e);
    }
  }

  private static void awaitUp(Cluster cluster, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("node did not join its cluster within " + timeout);
      Thread.sleep(20);
    }
  }

  /** An empty {@code parley.db.url} means the embedded H2 file in the data dir. */
  private static Config withDatabaseDefaults(Config config, Path dataDir) {
    // a --config file may set the URL through a substitution (conf/cluster.conf: ${?PARLEY_DB_URL})
    Config resolved = config.resolve();
    if (!resolved.getString("parley.db.url").isEmpty()) return config;
    long cacheKib = resolved.getMemorySize("parley.db.h2-cache-size").toBytes() / 1024;
    return config.withValue("parley.db.url", ConfigValueFactory.fromAnyRef(Database.embeddedH2Url(dataDir, cacheKib)))
        .withValue("parley.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()));
  }

  /** The configured secret, or one generated on first start and kept (owner-only) in the data dir. */
  private static byte[] tokenSecret(Config parley, Path dataDir) {
    String configured = parley.getString("auth.token-secret");
    if (!configured.isEmpty()) return Base64.getDecoder().decode(configured);
    Path file = dataDir.resolve("token-secret");
    try {
      if (Files.exists(file)) return Base64.getDecoder().decode(Files.readString(file).strip());
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      Files.writeString(file, Base64.getEncoder().encodeToString(secret));
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // not a POSIX file system
      }
      return secret;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    }
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data dir " + dir, e);
    }
  }
}
