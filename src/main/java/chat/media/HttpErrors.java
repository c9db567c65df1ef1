package chat.media;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** REST errors in the protocol's shape: {@code {"error":{"code","message"}}}. */
public final class HttpErrors {
  static final ObjectMapper JSON = new ObjectMapper();

  private HttpErrors() {}

  public static HttpResponse error(int status, String code, String message) {
    return error(status, code, message, List.of());
  }

  public static HttpResponse error(int status, String code, String message, List<HttpHeader> headers) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error");
    error.put("code", code);
    error.put("message", message);
    return HttpResponse.create()
        .withStatus(StatusCodes.get(status))
        .addHeaders(headers)
        .withEntity(ContentTypes.APPLICATION_JSON, body.toString());
  }

  public static HttpResponse json(int status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(StatusCodes.get(status))
          .withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
