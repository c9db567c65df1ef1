package chat.group;

import chat.media.MediaRetention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import chat.storage.Schema;
import chat.user.ChatSettings;
import chat.user.User;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;

/**
 * The Group entity's retry discipline in isolation: one member's stream never answers (a stand-in for
 * an unreachable node), so after the last attempt the author gets a `failed` update for that member,
 * while every reachable member still gets the message.
 */
class GroupFanoutTest {

  @Test
  void retriesExhaustedTellTheAuthorWhichMemberFailed() throws Exception {
    Path dir = Files.createTempDirectory("group-fanout");
    String url = "jdbc:h2:file:" + dir.resolve("parley") + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
    Schema.ensure(url, "sa", "");
    Config config = ConfigFactory.parseMap(Map.of("parley.db.url", url, "pekko.remote.artery.canonical.port", 0,
            "pekko.actor.testkit.typed.system-shutdown-default", "60s",
            "pekko.actor.testkit.typed.throw-on-shutdown-timeout", false))
        .withFallback(ConfigFactory.parseResources("parley-runtime.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    ActorTestKit kit = ActorTestKit.create("group-fanout", config);
    try {
      Cluster cluster = Cluster.get(kit.system());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      ChatSettings chat = ChatSettings.from(config.getConfig("parley"));
      ClusterSharding sharding = ClusterSharding.get(kit.system());
      sharding.init(Entity.of(User.TYPE_KEY, e -> e.getEntityId().equals("ghost")
          ? Behaviors.<User.Command>ignore()   // never confirms anything
          : User.create(e, chat, sealer(url), MediaRetention.NONE)));
      Group.Settings settings = new Group.Settings(200, 64, Duration.ofMillis(20), Duration.ofMillis(50),
          Duration.ofMillis(200), 3, Duration.ofMillis(200), Duration.ofMinutes(2), 64);
      sharding.init(Entity.of(Group.TYPE_KEY, e -> Group.create(e, settings, sealer(url), MediaRetention.NONE)));

      TestProbe<Group.Reply> reply = kit.createTestProbe();
      sharding.entityRefFor(Group.TYPE_KEY, "g1").tell(new Group.Create("author", "g", List.of("reader", "ghost"), false, reply.getRef()));
      assertInstanceOf(Group.Info.class, reply.receiveMessage(Duration.ofSeconds(30)));

      TestProbe<User.Outbound> authorSocket = kit.createTestProbe();
      TestProbe<User.Outbound> readerSocket = kit.createTestProbe();
      sharding.entityRefFor(User.TYPE_KEY, "author").tell(new User.Connect(authorSocket.getRef()));
      sharding.entityRefFor(User.TYPE_KEY, "reader").tell(new User.Connect(readerSocket.getRef()));
      sharding.entityRefFor(Group.TYPE_KEY, "g1").tell(new Group.Post("author", "c1", "{\"text\":\"hello\"}", authorSocket.getRef()));

      User.Acked ack = null;
      while (ack == null) {
        User.Outbound next = authorSocket.receiveMessage(Duration.ofSeconds(10));
        if (next instanceof User.Acked a) ack = a; // after the Connected reply, which may come first
      }
      assertEquals("group:g1", ack.conversation());
      User.DeliveryFailed failed = null;
      while (failed == null) {
        User.Outbound next = authorSocket.receiveMessage(Duration.ofSeconds(20));
        if (next instanceof User.Update u && u.event() instanceof User.DeliveryFailed f) failed = f;
      }
      assertEquals(ack.msgId(), failed.msgId());
      assertEquals("c1", failed.clientId());
      assertEquals("ghost", failed.member());

      boolean readerGotIt = false;
      while (!readerGotIt) {
        User.Outbound next = readerSocket.receiveMessage(Duration.ofSeconds(10));
        readerGotIt = next instanceof User.Update u && u.event() instanceof User.MessageReceived m && m.msgId().equals(ack.msgId());
      }
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static chat.ephemeral.Sealer sealer(String url) {
    org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
    ds.setURL(url);
    ds.setUser("sa");
    return new chat.ephemeral.Sealer(ds);
  }
}
