package chat.group;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import chat.account.Directory;
import chat.auth.TokenService;
import chat.gateway.ClientFrame;
import chat.gateway.HttpSupport;
import chat.json.Json;
import chat.user.User;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/** REST of PROTOCOL.md "Groups", plus {@code GET /api/v1/messages/{msgId}/receipts}. */
public final class Groups extends HttpSupport {
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Duration ASK = Duration.ofSeconds(10);
  private static final int MAX_NAME = 100;

  private final ClusterSharding sharding;
  private final Directory directory;

  public Groups(TokenService tokens, ClusterSharding sharding, Directory directory) {
    super(tokens);
    this.sharding = sharding;
    this.directory = directory;
  }

  public static Group.Settings settings(Config parley) {
    Config g = parley.getConfig("groups");
    Config chat = parley.getConfig("chat");
    return new Group.Settings(
        g.getInt("max-members"),
        chat.getInt("delivery-batch"),
        chat.getDuration("delivery-retry-min"),
        chat.getDuration("delivery-retry-max"),
        chat.getDuration("delivery-attempt-timeout"),
        g.getInt("delivery-max-attempts"),
        g.getDuration("progress-interval"),
        chat.getDuration("passivate-after"),
        g.getInt("typing-shed-backlog"));
  }

  public Route routes() {
    return concat(
        path(segment("api").slash("v1").slash("groups"), () -> post(() -> authenticated(user -> jsonBody(body -> create(user, body))))),
        path(segment("api").slash("v1").slash("groups").slash(PathMatchers.segment()), id ->
            get(() -> authenticated(user -> validId(id, () -> reply(group(id).ask(r -> new Group.Get(user, r), ASK), StatusCodes.OK))))),
        path(segment("api").slash("v1").slash("groups").slash(PathMatchers.segment()).slash("members"), id ->
            post(() -> authenticated(user -> validId(id, () -> jsonBody(body -> add(user, id, body)))))),
        path(segment("api").slash("v1").slash("groups").slash(PathMatchers.segment()).slash("members").slash(PathMatchers.segment()),
            (id, member) -> delete(() -> authenticated(user -> validId(id, () ->
                reply(group(id).ask(r -> new Group.RemoveMember(user, member, r), ASK), StatusCodes.OK))))),
        path(segment("api").slash("v1").slash("messages").slash(PathMatchers.segment()).slash("receipts"), msgId ->
            get(() -> authenticated(user -> receipts(user, msgId)))));
  }

  private Route create(String user, JsonNode body) {
    String name = text(body, "name");
    JsonNode membersNode = body.get("members");
    if (name == null || name.isBlank() || name.length() > MAX_NAME) {
      return error(StatusCodes.BAD_REQUEST, "invalid", "name must be 1.." + MAX_NAME + " characters");
    }
    if (membersNode != null && !membersNode.isArray()) return error(StatusCodes.BAD_REQUEST, "invalid", "members must be an array");
    List<String> members = new ArrayList<>();
    if (membersNode != null) {
      for (JsonNode m : membersNode) {
        if (!m.isTextual() || !ClientFrame.USERNAME.matcher(m.asText()).matches()) {
          return error(StatusCodes.BAD_REQUEST, "invalid", "not a username: " + m);
        }
        if (!members.contains(m.asText()) && !m.asText().equals(user)) members.add(m.asText());
      }
    }
    boolean adminsOnlySettings = body.path("adminsOnlySettings").asBoolean(false);
    String groupId = newGroupId();
    CompletionStage<HttpResponse> result = allExist(members).thenCompose(missing -> {
      if (missing != null) return CompletableFuture.completedFuture(json(StatusCodes.NOT_FOUND, Json.error("not_found", "no such user: " + missing)));
      return group(groupId).<Group.Reply>ask(r -> new Group.Create(user, name, members, adminsOnlySettings, r), ASK).thenApply(reply -> toResponse(reply, StatusCodes.CREATED));
    });
    return completeWithFuture(result);
  }

  private Route add(String user, String id, JsonNode body) {
    JsonNode addNode = body.get("add");
    if (addNode == null || !addNode.isArray() || addNode.isEmpty()) {
      return error(StatusCodes.BAD_REQUEST, "invalid", "add must be a non-empty array of usernames");
    }
    List<String> users = new ArrayList<>();
    for (JsonNode u : addNode) {
      if (!u.isTextual() || !ClientFrame.USERNAME.matcher(u.asText()).matches()) return error(StatusCodes.BAD_REQUEST, "invalid", "not a username: " + u);
      users.add(u.asText());
    }
    CompletionStage<HttpResponse> result = allExist(users).thenCompose(missing -> {
      if (missing != null) return CompletableFuture.completedFuture(json(StatusCodes.NOT_FOUND, Json.error("not_found", "no such user: " + missing)));
      return group(id).<Group.Reply>ask(r -> new Group.AddMembers(user, users, r), ASK).thenApply(reply -> toResponse(reply, StatusCodes.OK));
    });
    return completeWithFuture(result);
  }

  private Route receipts(String user, String msgId) {
    CompletionStage<HttpResponse> result = sharding.entityRefFor(User.TYPE_KEY, user)
        .<User.ReceiptReport>ask(r -> new User.GetReceipts(msgId, r), ASK)
        .thenApply(report -> {
          // only the sender holds receipts of a message: anyone else learns nothing, not even that it exists
          if (!report.found()) return json(StatusCodes.NOT_FOUND, Json.error("not_found", "no message of yours with id " + msgId));
          return json(StatusCodes.OK, Json.render(g -> {
            g.writeStringField("msgId", msgId);
            g.writeStringField("conversation", report.conversation());
            g.writeArrayFieldStart("delivered");
            for (String by : report.deliveredTo()) g.writeString(by);
            g.writeEndArray();
            g.writeArrayFieldStart("read");
            for (String by : report.readBy()) g.writeString(by);
            g.writeEndArray();
          }));
        });
    return completeWithFuture(result);
  }

  /** The first of {@code users} without an account, or null when all exist. */
  private CompletionStage<String> allExist(List<String> users) {
    CompletionStage<String> missing = CompletableFuture.completedFuture(null);
    for (String u : users) {
      missing = missing.thenCompose(found -> found != null ? CompletableFuture.completedFuture(found)
          : directory.exists(u).thenApply(exists -> exists ? null : u));
    }
    return missing;
  }

  private Route reply(CompletionStage<Group.Reply> reply, StatusCode success) {
    return completeWithFuture(reply.thenApply(r -> toResponse(r, success)));
  }

  private HttpResponse toResponse(Group.Reply reply, StatusCode success) {
    return switch (reply) {
      case Group.Info info -> json(success, Json.render(g -> {
        g.writeStringField("groupId", info.groupId());
        g.writeStringField("name", info.name());
        g.writeArrayFieldStart("members");
        for (String m : info.members()) g.writeString(m);
        g.writeEndArray();
        g.writeArrayFieldStart("admins");
        for (String a : info.admins()) g.writeString(a);
        g.writeEndArray();
      }));
      case Group.Refused r -> json(switch (r.code()) {
        case "not_found" -> StatusCodes.NOT_FOUND;
        case "forbidden" -> StatusCodes.FORBIDDEN;
        case "group_full", "exists" -> StatusCodes.CONFLICT;
        default -> StatusCodes.BAD_REQUEST;
      }, Json.error(r.code(), r.message()));
    };
  }

  private Route validId(String id, java.util.function.Supplier<Route> inner) {
    return ID.matcher(id).matches() ? inner.get() : error(StatusCodes.NOT_FOUND, "not_found", "no such group");
  }

  private EntityRef<Group.Command> group(String id) {
    return sharding.entityRefFor(Group.TYPE_KEY, id);
  }

  private static String newGroupId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "g" + Long.toUnsignedString(r.nextLong(), 36);
  }
}
