package chat.ephemeral;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import chat.account.Directory;
import chat.auth.TokenService;
import chat.gateway.HttpSupport;
import chat.group.Group;
import chat.group.Groups;
import chat.json.Json;
import chat.user.Conversations;
import chat.user.User;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code PUT /api/v1/conversations/{canonical}/settings {"disappearAfterSeconds": N}} (0 = permanent). */
public final class ConversationSettings extends HttpSupport {
  private static final Duration ASK = Duration.ofSeconds(10);

  private final ClusterSharding sharding;
  private final Directory directory;
  private final long maxSeconds;

  public ConversationSettings(TokenService tokens, ClusterSharding sharding, Directory directory, Duration maxTimer) {
    super(tokens);
    this.sharding = sharding;
    this.directory = directory;
    this.maxSeconds = maxTimer.toSeconds();
  }

  public Route routes() {
    return path(segment("api").slash("v1").slash("conversations").slash(PathMatchers.segment()).slash("settings"), conversation ->
        put(() -> authenticated(user -> jsonBody(body -> change(user, conversation, body)))));
  }

  private Route change(String user, String conversation, JsonNode body) {
    JsonNode n = body.get("disappearAfterSeconds");
    if (n == null || !n.isIntegralNumber() || n.asLong() < 0 || n.asLong() > maxSeconds) {
      return error(StatusCodes.BAD_REQUEST, "invalid", "disappearAfterSeconds must be an integer 0.." + maxSeconds);
    }
    int seconds = n.asInt();
    CompletionStage<HttpResponse> result;
    if (conversation.startsWith("group:") && Groups.ID.matcher(conversation.substring(6)).matches()) {
      result = sharding.entityRefFor(Group.TYPE_KEY, conversation.substring(6))
          .<Group.Reply>ask(r -> new Group.ChangeSettings(user, seconds, r), ASK)
          .thenApply(reply -> switch (reply) {
            case Group.Info info -> ok(conversation, seconds);
            case Group.Refused r -> json(r.code().equals("not_found") ? StatusCodes.NOT_FOUND : StatusCodes.FORBIDDEN,
                Json.error(r.code(), r.message()));
          });
    } else if (Conversations.peerOf(conversation, user) != null) {
      String peer = Conversations.peerOf(conversation, user);
      result = directory.exists(peer).thenCompose(exists -> !exists
          ? java.util.concurrent.CompletableFuture.completedFuture(json(StatusCodes.NOT_FOUND, Json.error("not_found", "no such user: " + peer)))
          : sharding.entityRefFor(User.TYPE_KEY, user)
              .<Boolean>ask(r -> new User.ChangeSettings(conversation, seconds, r), ASK)
              .thenApply(done -> ok(conversation, seconds)));
    } else {
      return error(StatusCodes.FORBIDDEN, "forbidden", "not a conversation of yours: " + conversation);
    }
    return completeWithFuture(result);
  }

  private static HttpResponse ok(String conversation, int seconds) {
    return json(StatusCodes.OK, Json.render(g -> {
      g.writeStringField("conversation", conversation);
      g.writeNumberField("disappearAfterSeconds", seconds);
    }));
  }
}
