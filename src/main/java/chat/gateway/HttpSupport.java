package chat.gateway;

import chat.auth.TokenService;
import chat.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** What every REST route needs: bearer authentication, JSON bodies and JSON errors. */
public abstract class HttpSupport extends AllDirectives {
  protected final TokenService tokens;

  protected HttpSupport(TokenService tokens) {
    this.tokens = tokens;
  }

  /** The authenticated user of a REST call ({@code Authorization: Bearer <token>}), or 401. */
  public Route authenticated(Function<String, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      Optional<String> user = bearer(header).flatMap(t -> tokens.verify(t, System.currentTimeMillis()));
      return user.map(inner).orElseGet(() ->
          complete(json(StatusCodes.UNAUTHORIZED, Json.error("unauthorized", "missing, invalid or expired token"))));
    });
  }

  protected static Optional<String> bearer(Optional<String> header) {
    return header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).trim());
  }

  protected Route jsonBody(Function<JsonNode, Route> inner) {
    return entity(Unmarshaller.entityToString(), text -> {
      JsonNode node;
      try {
        node = Json.MAPPER.readTree(text);
      } catch (Exception e) {
        node = null;
      }
      if (node == null || !node.isObject()) {
        return complete(json(StatusCodes.BAD_REQUEST, Json.error("invalid", "the body must be a JSON object")));
      }
      return inner.apply(node);
    });
  }

  protected static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n != null && n.isTextual() ? n.asText() : null;
  }

  public static HttpResponse json(StatusCode status, String json) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, json);
  }


  protected Route error(StatusCode status, String code, String message) {
    return complete(json(status, Json.error(code, message)));
  }
}
