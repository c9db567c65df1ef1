package chat.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Minimal REST client for tests: JSON in, status and JSON out. */
public final class Rest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public record Response(int status, JsonNode body, String raw) {}

  private final int port;

  public Rest(int port) {
    this.port = port;
  }

  public Response call(String method, String path, String token, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(90));
    if (token != null) b.header("Authorization", "Bearer " + token);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json;
      try {
        json = JSON.readTree(r.body());
      } catch (Exception e) {
        json = null;
      }
      return new Response(r.statusCode(), json, r.body());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    }
  }

  /** Registers (or reuses) a user and returns a session token. */
  public String login(String user) {
    call("POST", "/api/v1/accounts", null, "{\"username\":\"" + user + "\",\"password\":\"password-" + user + "\"}");
    Response r = call("POST", "/api/v1/sessions", null, "{\"username\":\"" + user + "\",\"password\":\"password-" + user + "\"}");
    if (r.status() != 200) throw new AssertionError("login of " + user + " failed: " + r.raw());
    return r.body().get("token").asText();
  }
}
