package chat.group;

import chat.media.MediaRetention;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import chat.testing.EntityKit;
import chat.user.ChatSettings;
import chat.user.UpdateLog;
import chat.user.User;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.junit.jupiter.api.Test;

/**
 * The Group entity's retry discipline in isolation: one member's stream never answers (a stand-in for
 * an unreachable node), so after the last attempt the author gets a `failed` update for that member,
 * while every reachable member still gets the message.
 */
class GroupFanoutTest {

  @Test
  void retriesExhaustedTellTheAuthorWhichMemberFailed() throws Exception {
    EntityKit entities = EntityKit.start("group-fanout", Files.createTempDirectory("group-fanout"), Map.of());
    ActorTestKit kit = entities.kit();
    try {
      ChatSettings chat = ChatSettings.from(entities.parley());
      ClusterSharding sharding = ClusterSharding.get(kit.system());
      UpdateLog updateLog = new UpdateLog(kit.system());
      sharding.init(Entity.of(User.TYPE_KEY, e -> e.getEntityId().equals("ghost")
          ? Behaviors.<User.Command>ignore()   // never confirms anything
          : User.create(e, chat, entities.sealer(), MediaRetention.NONE, updateLog)));
      Group.Settings settings = new Group.Settings(200, 64, Duration.ofMillis(20), Duration.ofMillis(50),
          Duration.ofMillis(200), 3, Duration.ofMillis(200), Duration.ofMinutes(2), 64);
      sharding.init(Entity.of(Group.TYPE_KEY, e -> Group.create(e, settings, entities.sealer(), MediaRetention.NONE)));

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
}
