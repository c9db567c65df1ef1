package chat.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real WebSocket client (java.net.http) speaking PROTOCOL.md, for end-to-end tests. */
public final class WsClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final WebSocket socket;
  private final StringBuilder partial = new StringBuilder();

  private WsClient(WebSocket.Builder builder, URI uri) {
    this.socket = builder.buildAsync(uri, new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
          try {
            frames.add(JSON.readTree(partial.toString()));
          } catch (Exception e) {
            frames.add(JSON.createObjectNode().put("type", "unparseable").put("raw", partial.toString()));
          }
          partial.setLength(0);
        }
        ws.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
      }

      @Override
      public void onError(WebSocket ws, Throwable error) {
        closed.complete(-1);
      }
    }).join();
  }

  public static WsClient connect(int port, String token) {
    return new WsClient(HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)),
        URI.create("ws://127.0.0.1:" + port + "/ws?token=" + token));
  }

  public WsClient send(String json) {
    socket.sendText(json, true).join();
    return this;
  }

  public WsClient sendJson(Object... keyValues) {
    var node = JSON.createObjectNode();
    for (int i = 0; i < keyValues.length; i += 2) node.set((String) keyValues[i], JSON.valueToTree(keyValues[i + 1]));
    return send(node.toString());
  }

  public WsClient sendText(String id, String to, String text) {
    return send("{\"type\":\"send\",\"id\":" + q(id) + ",\"to\":" + q(to) + ",\"body\":{\"text\":" + q(text) + "}}");
  }

  public static String q(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The next frame matching, skipping (and dropping) others; fails after the timeout. */
  public JsonNode await(Predicate<JsonNode> match, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      JsonNode next;
      try {
        next = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      if (next == null) throw new AssertionError("no matching frame within " + timeout);
      if (match.test(next)) return next;
    }
  }

  public JsonNode awaitType(String type) {
    return await(f -> type.equals(f.path("type").asText()), Duration.ofSeconds(15));
  }

  /** Collects {@code count} frames of a type, in arrival order. */
  public List<JsonNode> awaitTypes(String type, int count, Duration timeout) {
    List<JsonNode> out = new ArrayList<>(count);
    while (out.size() < count) out.add(await(f -> type.equals(f.path("type").asText()), timeout));
    return out;
  }

  /** Frames that arrive within {@code quiet}, without waiting longer. */
  public List<JsonNode> drain(Duration quiet) {
    List<JsonNode> out = new ArrayList<>();
    try {
      JsonNode f;
      while ((f = frames.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) out.add(f);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  public int awaitClose(Duration timeout) {
    return closed.completeOnTimeout(-2, timeout.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      socket.abort();
    }
  }
}
