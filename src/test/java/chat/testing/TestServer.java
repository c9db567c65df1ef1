package chat.testing;

import chat.presence.Presence;
import chat.server.ParleyServer;
import chat.user.User;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/** A real Parley node in this JVM on a fresh (or given) data dir and a free port. */
public final class TestServer implements AutoCloseable {
  private final ParleyServer server;
  public final Path dataDir;

  private TestServer(ParleyServer server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
  }

  public static TestServer start() {
    try {
      return start(Files.createTempDirectory("parley-test"), 0, Map.of());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static TestServer start(Path dataDir, int port, Map<String, Object> settings) {
    Map<String, Object> all = new HashMap<>(baseSettings());
    all.put("parley.data-dir", dataDir.toString());
    all.put("parley.http.port", port);
    all.put("parley.http.host", "127.0.0.1");
    all.putAll(settings);
    Config config = ConfigFactory.parseMap(all);
    return new TestServer(ParleyServer.start(config), dataDir);
  }

  /** Settings every test node shares: cheap password hashing keeps suites fast. */
  public static Map<String, Object> baseSettings() {
    return Map.of("parley.auth.password-iterations", 1000);
  }

  public int port() {
    return server.port();
  }

  public Rest rest() {
    return new Rest(port());
  }

  public WsClient connect(String token) {
    return WsClient.connect(port(), token);
  }

  public ParleyServer server() {
    return server;
  }

  /**
   * Stops {@code userId}'s User entity, as a rebalance moving it to another node would, while its
   * sockets stay open. The entity names itself in its answer to an empty delivery.
   */
  public void stopUserEntity(String userId) {
    stopEntity(User.TYPE_KEY, userId, (ActorRef<User.Delivered> replyTo) -> new User.Deliver("nobody", List.of(), replyTo),
        User.Delivered::entity);
  }

  /** Stops {@code userId}'s Presence entity, as a rebalance moving it to another node would. */
  public void stopPresenceEntity(String userId) {
    // the entity names itself first in its answer to a subscription
    stopEntity(Presence.TYPE_KEY, userId, (ActorRef<Presence.Live> replyTo) -> new Presence.Subscribe(replyTo), first -> {
      if (first instanceof Presence.Registered registered) return registered.presence();
      throw new IllegalStateException("unexpected answer " + first);
    });
  }

  /** Asks a sharded entity a question whose answer names it, then stops that incarnation. */
  private <C, R> void stopEntity(EntityTypeKey<C> type, String entityId, Function<ActorRef<R>, C> question,
                                 Function<R, ActorRef<?>> entityIn) {
    var system = server.system();
    Duration wait = Duration.ofSeconds(15);
    try {
      R answer = AskPattern.<C, R>ask(ClusterSharding.get(system).entityRefFor(type, entityId), question::apply, wait,
              system.scheduler())
          .toCompletableFuture().get(wait.toSeconds(), TimeUnit.SECONDS);
      Adapter.toClassic(entityIn.apply(answer)).tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
    } catch (Exception e) {
      throw new IllegalStateException("could not reach the " + type.name() + " entity of " + entityId, e);
    }
  }

  @Override
  public void close() {
    server.stop();
  }
}
