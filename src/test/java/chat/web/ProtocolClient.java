package chat.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A third user without a browser: plain REST and WebSocket per PROTOCOL.md. */
final class ProtocolClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private String token;
  private WebSocket socket;
  private volatile long highestSeq;

  ProtocolClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  record Reply(int status, JsonNode body) {}

  ProtocolClient registerAndLogin(String username, String password) throws IOException, InterruptedException {
    Reply created = call("POST", "/api/v1/accounts", Map.of("username", username, "password", password));
    if (created.status() != 201) throw new IllegalStateException("register " + username + ": " + created);
    Reply session = call("POST", "/api/v1/sessions", Map.of("username", username, "password", password));
    if (session.status() != 200) throw new IllegalStateException("login " + username + ": " + session);
    token = session.body().get("token").asText();
    return this;
  }

  Reply call(String method, String path, Object body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10));
    if (token != null) request.header("Authorization", "Bearer " + token);
    if (body instanceof byte[] bytes) {
      request.header("Content-Type", "image/png").method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
    } else if (body != null) {
      request.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = null;
    try {
      json = response.body().isBlank() ? null : JSON.readTree(response.body());
    } catch (IOException notJson) {
      // e.g. a plain-text 404 from a route that does not exist
    }
    return new Reply(response.statusCode(), json);
  }

  void connect() throws Exception {
    String url = baseUrl.replace("http://", "ws://") + "/ws?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    socket = http.newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
      private final StringBuilder partial = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
          try {
            JsonNode frame = JSON.readTree(partial.toString());
            highestSeq = Math.max(highestSeq, frame.path("seq").asLong(0));
            frames.add(frame);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          partial.setLength(0);
        }
        webSocket.request(1);
        return null;
      }
    }).get(10, TimeUnit.SECONDS);
    expect(frame -> "hello".equals(frame.path("type").asText()));
    sendFrame(Map.of("type", "sync", "after", 0));
  }

  void sendFrame(Object frame) throws Exception {
    socket.sendText(JSON.writeValueAsString(frame), true).get(5, TimeUnit.SECONDS);
  }

  /** Confirms every update received so far, which turns the senders' ticks to "delivered". */
  void confirmReceived() throws Exception {
    sendFrame(Map.of("type", "received", "upTo", highestSeq));
  }

  JsonNode expect(Predicate<JsonNode> wanted) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      JsonNode frame = frames.poll(200, TimeUnit.MILLISECONDS);
      if (frame != null && wanted.test(frame)) return frame;
    }
    throw new AssertionError("no matching frame within 15 s");
  }

  @Override
  public void close() {
    if (socket != null) socket.abort();
  }
}
