package chat.gateway;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import chat.account.Account;
import chat.account.PasswordHasher;
import chat.auth.TokenService;
import chat.json.Json;
import chat.presence.Presence;
import chat.user.User;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP surface of a node: REST of PROTOCOL.md, the WebSocket, health, metrics, the web client. */
public final class ApiRoutes extends HttpSupport {
  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_UPDATES_PAGE = 1000;

  private final Gateway gateway;
  private final PasswordHasher hasher;
  private final Executor hashing;
  private final Supplier<String> health;
  private final List<Route> extraRoutes;

  public ApiRoutes(Gateway gateway, TokenService tokens, PasswordHasher hasher, Executor hashing,
                   Supplier<String> health, List<Route> extraRoutes) {
    super(tokens);
    this.gateway = gateway;
    this.hasher = hasher;
    this.hashing = hashing;
    this.health = health;
    this.extraRoutes = extraRoutes;
  }

  public Route routes() {
    List<Route> all = new java.util.ArrayList<>(List.of(
        path(segment("api").slash("v1").slash("health"), () -> get(this::healthRoute)),
        path("metrics", () -> get(() -> complete(HttpResponse.create()
            .withEntity(ContentTypes.create(org.apache.pekko.http.javadsl.model.MediaTypes.TEXT_PLAIN,
                org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8), gateway.metrics.render())))),
        path(segment("api").slash("v1").slash("accounts"), () -> post(() -> jsonBody(this::register))),
        path(segment("api").slash("v1").slash("sessions"), () -> post(() -> jsonBody(this::login))),
        path(segment("api").slash("v1").slash("updates"), () -> get(() -> authenticated(this::updates))),
        path(segment("api").slash("v1").slash("me").slash("privacy"), () -> put(() -> authenticated(user -> jsonBody(body -> privacy(user, body))))),
        path("ws", () -> get(this::webSocket))));
    all.addAll(extraRoutes);
    all.add(pathSingleSlash(() -> getFromResource("web/index.html")));
    all.add(pathPrefix("api", () -> complete(json(StatusCodes.NOT_FOUND, Json.error("not_found", "no such endpoint")))));
    all.add(getFromResourceDirectory("web"));
    Route api = concat(all.get(0), all.subList(1, all.size()).toArray(Route[]::new));
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> api));
  }

  // ---------------------------------------------------------------- health

  private Route healthRoute() {
    String status = health.get();
    StatusCode code = status.equals("ok") ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE;
    return complete(json(code, Json.render(g -> g.writeStringField("status", status))));
  }

  // ---------------------------------------------------------------- accounts and sessions

  private Route register(JsonNode body) {
    String username = text(body, "username");
    String password = text(body, "password");
    String displayName = text(body, "displayName");
    if (username == null || !ClientFrame.USERNAME.matcher(username).matches()) {
      return complete(json(StatusCodes.BAD_REQUEST, Json.error("invalid", "username must be 3..32 characters of a-z 0-9 _ . -")));
    }
    if (password == null || password.length() < 8 || password.length() > 128) {
      return complete(json(StatusCodes.BAD_REQUEST, Json.error("invalid", "password must be 8..128 characters")));
    }
    if (displayName != null && displayName.length() > 64) {
      return complete(json(StatusCodes.BAD_REQUEST, Json.error("invalid", "displayName must be at most 64 characters")));
    }
    CompletionStage<HttpResponse> result = CompletableFuture.supplyAsync(() -> hasher.hash(password), hashing)
        .thenCompose(hash -> gateway.sharding.entityRefFor(Account.TYPE_KEY, username)
            .<Boolean>ask(replyTo -> new Account.Register(hash, displayName, System.currentTimeMillis(), replyTo), ASK_TIMEOUT))
        .thenApply(created -> {
          if (!created) return json(StatusCodes.CONFLICT, Json.error("taken", "username is taken"));
          gateway.directory.remember(username);
          return json(StatusCodes.CREATED, Json.render(g -> {
            g.writeStringField("userId", username);
            g.writeStringField("username", username);
          }));
        });
    return completeWithFuture(result);
  }

  private Route login(JsonNode body) {
    String username = text(body, "username");
    String password = text(body, "password");
    if (username == null || password == null || !ClientFrame.USERNAME.matcher(username).matches() || password.length() > 128) {
      return complete(json(StatusCodes.UNAUTHORIZED, Json.error("unauthorized", "wrong username or password")));
    }
    CompletionStage<HttpResponse> result = gateway.sharding.entityRefFor(Account.TYPE_KEY, username)
        .ask(Account.Get::new, ASK_TIMEOUT)
        .thenApplyAsync(info -> hasher.verify(password, info.exists() ? info.passwordHash() : null), hashing)
        .thenApply(ok -> {
          if (!ok) return json(StatusCodes.UNAUTHORIZED, Json.error("unauthorized", "wrong username or password"));
          TokenService.Token token = tokens.issue(username, System.currentTimeMillis());
          return json(StatusCodes.OK, Json.render(g -> {
            g.writeStringField("token", token.token());
            g.writeStringField("userId", username);
            g.writeNumberField("expiresAt", token.expiresAt());
          }));
        });
    return completeWithFuture(result);
  }

  private Route privacy(String user, JsonNode body) {
    String value = text(body, "lastSeen");
    Account.LastSeenVisibility visibility;
    try {
      visibility = value == null ? null : Account.LastSeenVisibility.valueOf(value);
    } catch (IllegalArgumentException e) {
      visibility = null;
    }
    if (visibility == null) {
      return complete(json(StatusCodes.BAD_REQUEST, Json.error("invalid", "lastSeen must be \"everyone\" or \"nobody\"")));
    }
    Account.LastSeenVisibility chosen = visibility;
    CompletionStage<HttpResponse> result = gateway.sharding.entityRefFor(Account.TYPE_KEY, user)
        .<Boolean>ask(replyTo -> new Account.SetPrivacy(chosen, replyTo), ASK_TIMEOUT)
        .thenApply(ok -> {
          gateway.sharding.entityRefFor(Presence.TYPE_KEY, user).tell(new Presence.PrivacyChanged(chosen));
          return json(StatusCodes.OK, Json.render(g -> g.writeStringField("lastSeen", chosen.name())));
        });
    return completeWithFuture(result);
  }

  // ---------------------------------------------------------------- the update stream

  private Route updates(String user) {
    return parameterOptional("after", after -> parameterOptional("limit", limit -> {
      long from;
      int max;
      try {
        from = after.map(Long::parseLong).orElse(0L);
        max = limit.map(Integer::parseInt).orElse(100);
      } catch (NumberFormatException e) {
        return complete(json(StatusCodes.BAD_REQUEST, Json.error("invalid", "after and limit must be integers")));
      }
      if (from < 0 || max < 1 || max > MAX_UPDATES_PAGE) {
        return complete(json(StatusCodes.BAD_REQUEST, Json.error("invalid", "after >= 0 and 1 <= limit <= " + MAX_UPDATES_PAGE)));
      }
      CompletionStage<HttpResponse> result = gateway.sharding.entityRefFor(User.TYPE_KEY, user)
          .ask(User.GetStreamEnd::new, ASK_TIMEOUT)
          .thenCompose(end -> {
            long lastSeq = end.lastSeq();
            long to = Math.min(lastSeq, from + max);
            if (to <= from) return CompletableFuture.completedFuture(page(user, List.of(), lastSeq));
            return gateway.updateLog.page(user, from, (int) (to - from), end, 0)
                .thenApply(loaded -> page(user, loaded.updates().stream().map(u -> gateway.render(user, u)).toList(), lastSeq,
                    from + loaded.updates().size()));
          });
      return completeWithFuture(result);
    }));
  }

  private HttpResponse page(String user, List<String> frames, long lastSeq) {
    return page(user, frames, lastSeq, lastSeq);
  }

  private HttpResponse page(String user, List<String> frames, long lastSeq, long lastReturned) {
    StringBuilder out = new StringBuilder(64 + frames.size() * 200).append("{\"updates\":[");
    for (int i = 0; i < frames.size(); i++) out.append(i == 0 ? "" : ",").append(frames.get(i));
    out.append("],\"lastSeq\":").append(lastSeq).append(",\"more\":").append(lastReturned < lastSeq).append('}');
    return json(StatusCodes.OK, out.toString());
  }

  private Route webSocket() {
    return parameterOptional("token", queryToken -> optionalHeaderValueByName("Authorization", header -> {
      Optional<String> user = bearer(header).or(() -> queryToken).flatMap(t -> tokens.verify(t, System.currentTimeMillis()));
      if (user.isEmpty()) return complete(json(StatusCodes.UNAUTHORIZED, Json.error("unauthorized", "missing, invalid or expired token")));
      // the directive admits only upgrades Pekko HTTP has validated (GET, version 13, a well-formed key)
      return extractWebSocketUpgrade(upgrade -> headerValueByName("Sec-WebSocket-Key",
          key -> complete(SocketFlow.accept(key, user.get(), gateway))));
    }));
  }

  // ---------------------------------------------------------------- helpers

  private static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (response.entity() instanceof HttpEntity.Strict strict && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
        String message = strict.getData().utf8String();
        return response.withEntity(ContentTypes.APPLICATION_JSON, Json.error(codeFor(response.status().intValue()), message));
      }
      return response;
    });
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .matchAny(failure -> {
          Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
          if (cause instanceof java.util.concurrent.TimeoutException || cause instanceof org.apache.pekko.pattern.AskTimeoutException) {
            return complete(json(StatusCodes.SERVICE_UNAVAILABLE, Json.error("overloaded", "the server is busy; try again")));
          }
          log.error("request failed", cause);
          return complete(json(StatusCodes.INTERNAL_SERVER_ERROR, Json.error("internal", "internal error")));
        })
        .build();
  }

  private static String codeFor(int status) {
    return switch (status) {
      case 400 -> "invalid";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 413 -> "too_large";
      case 415 -> "unsupported_media_type";
      case 429 -> "rate_limited";
      case 503 -> "overloaded";
      default -> "error";
    };
  }
}
