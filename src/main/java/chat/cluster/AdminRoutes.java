package chat.cluster;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import chat.json.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Operator API of a node, behind a bearer admin token ({@code parley.admin.token}); with no token
 * configured it does not exist (404). {@code GET /api/v1/admin/members}: the cluster's members as
 * this node sees them. {@code GET /api/v1/admin/shards}: {@code {"<entity type>": {"<shard id>":
 * "<node address>"}}} for the whole cluster, from the sharding coordinators' statistics.
 */
public final class AdminRoutes extends AllDirectives {
  private final ActorSystem<?> system;
  private final List<EntityTypeKey<?>> entityTypes;
  private final byte[] adminToken;
  private final Duration statsTimeout;

  public AdminRoutes(ActorSystem<?> system, List<EntityTypeKey<?>> entityTypes, String adminToken, Duration statsTimeout) {
    this.system = system;
    this.entityTypes = entityTypes;
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
    this.statsTimeout = statsTimeout;
  }

  public Route routes() {
    return pathPrefix(segment("api").slash("v1").slash("admin"), () -> {
      if (adminToken.length == 0) return complete(json(StatusCodes.NOT_FOUND, Json.error("not_found", "the admin API is disabled (no parley.admin.token)")));
      return optionalHeaderValueByName("Authorization", header -> {
        if (!authorized(header)) return complete(json(StatusCodes.UNAUTHORIZED, Json.error("unauthorized", "missing or wrong admin token")));
        return concat(
            path("members", () -> get(() -> complete(json(StatusCodes.OK, members())))),
            path("shards", () -> get(() -> onSuccess(shards(), body -> complete(json(StatusCodes.OK, body))))),
            complete(json(StatusCodes.NOT_FOUND, Json.error("not_found", "unknown admin resource"))));
      });
    });
  }

  private boolean authorized(Optional<String> header) {
    return header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(h -> MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8), adminToken))
        .orElse(false);
  }

  private String members() {
    Cluster cluster = Cluster.get(system);
    var state = cluster.state();
    ObjectNode root = Json.object();
    root.put("self", cluster.selfMember().address().toString());
    root.put("leader", state.getLeader() == null ? null : state.getLeader().toString());
    ArrayNode members = root.putArray("members");
    for (Member m : state.getMembers()) {
      ObjectNode n = members.addObject();
      n.put("address", m.address().toString());
      n.put("status", m.status().toString());
      n.put("reachable", !state.getUnreachable().contains(m));
    }
    return Json.write(root);
  }

  /** Every shard of every entity type with the node hosting it. */
  private CompletionStage<String> shards() {
    ClusterSharding sharding = ClusterSharding.get(system);
    Map<String, CompletableFuture<ShardRegion.ClusterShardingStats>> asks = new TreeMap<>();
    for (EntityTypeKey<?> type : entityTypes) {
      asks.put(type.name(), AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
          sharding.shardState(),
          replyTo -> new GetClusterShardingStats(type, statsTimeout, replyTo),
          statsTimeout.plusSeconds(1),
          system.scheduler()).toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      ObjectNode root = Json.object();
      asks.forEach((type, stats) -> {
        Map<String, String> byShard = new TreeMap<>((a, b) -> compareShardIds(a, b));
        for (Map.Entry<Address, ShardRegion.ShardRegionStats> region : stats.join().getRegions().entrySet()) {
          for (String shard : region.getValue().getStats().keySet()) byShard.put(shard, region.getKey().toString());
        }
        ObjectNode node = root.putObject(type);
        byShard.forEach(node::put);
      });
      return Json.write(root);
    });
  }

  private static int compareShardIds(String a, String b) {
    try {
      return Long.compare(Long.parseLong(a), Long.parseLong(b));
    } catch (NumberFormatException notNumeric) {
      return a.compareTo(b);
    }
  }

  private static HttpResponse json(StatusCode status, String body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
  }
}
