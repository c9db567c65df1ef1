package chat.hashing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;

/**
 * The strategy under Pekko's real shard coordinator: a one-node cluster on loopback, typed sharding
 * initialised with {@code withAllocationStrategy}, messages to 30 entities answered through it.
 */
class ShardingWithRingIntegrationTest {
    record Ping(String entityId, ActorRef<String> replyTo) {}

    @Test
    void realCoordinatorAllocatesEveryShardThroughTheRing() {
        Config config = ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = 127.0.0.1
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.cluster.sharding.number-of-shards = 20
                pekko.loglevel = WARNING
                """).withFallback(ConfigFactory.parseResources("reference-hashing.conf"))
                .withFallback(ConfigFactory.load()).resolve();
        ActorTestKit kit = ActorTestKit.create("ParleyRing", config);
        try {
            Cluster cluster = Cluster.get(kit.system());
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            TestProbe<String> probe = kit.createTestProbe();
            probe.awaitAssert(Duration.ofSeconds(10), () -> {
                assertEquals(MemberStatus.up(), cluster.selfMember().status());
                return null;
            });

            EntityTypeKey<Ping> type = EntityTypeKey.create(Ping.class, "Ping");
            var strategy = ConsistentHashShardAllocationStrategy.create(kit.system().settings().config(), type.name());
            ActorRef<ShardingEnvelope<Ping>> region = ClusterSharding.get(kit.system()).init(
                    Entity.of(type, ctx -> Behaviors.<Ping>receiveMessage(p -> {
                        p.replyTo().tell("pong " + ctx.getEntityId());
                        return Behaviors.same();
                    })).withAllocationStrategy(strategy));

            for (int i = 0; i < 30; i++) {
                String id = "user-" + i;
                region.tell(new ShardingEnvelope<>(id, new Ping(id, probe.ref())));
                assertEquals("pong " + id, probe.receiveMessage(Duration.ofSeconds(10)));
            }
            assertTrue(strategy.startedInCluster(), "the coordinator did not hand the strategy its actor system");
        } finally {
            kit.shutdownTestKit();
        }
    }
}
