package chat.gateway;

import chat.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** A frame from a client (PROTOCOL.md "Client -> server frames"), parsed and validated. */
public sealed interface ClientFrame {
  record Sync(long after) implements ClientFrame {}
  /** {@code to} is the raw target ("user:bob"); {@code body} the validated body as JSON text; {@code mediaId} if it shares media. */
  record Send(String id, String to, String body, String mediaId) implements ClientFrame {}
  record Received(long upTo) implements ClientFrame {}
  record Read(String conversation, long upTo) implements ClientFrame {}
  record Subscribe(List<String> users, boolean subscribe) implements ClientFrame {}
  record Typing(String to) implements ClientFrame {}
  record Ping() implements ClientFrame {}
  /** Anything the server cannot act on; answered with an {@code error} frame. */
  record Invalid(String id, String code, String message) implements ClientFrame {}

  Pattern USERNAME = Pattern.compile("[a-z0-9_.-]{3,32}");
  int MAX_CLIENT_ID = 128;
  int MAX_SUBSCRIBE = 500;

  static ClientFrame parse(String text, int maxTextLength) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return new Invalid(null, "invalid", "malformed JSON");
    }
    if (root == null || !root.isObject()) return new Invalid(null, "invalid", "a frame must be a JSON object");
    JsonNode typeNode = root.get("type");
    String id = root.hasNonNull("id") && root.get("id").isTextual() ? root.get("id").asText() : null;
    if (typeNode == null || !typeNode.isTextual()) return new Invalid(id, "invalid", "missing field: type");
    return switch (typeNode.asText()) {
      case "sync" -> {
        Long after = nonNegative(root, "after");
        yield after == null ? new Invalid(id, "invalid", "sync needs a non-negative integer 'after'") : new Sync(after);
      }
      case "send" -> parseSend(root, id, maxTextLength);
      case "received" -> {
        Long upTo = nonNegative(root, "upTo");
        yield upTo == null ? new Invalid(id, "invalid", "received needs a non-negative integer 'upTo'") : new Received(upTo);
      }
      case "read" -> {
        Long upTo = nonNegative(root, "upTo");
        JsonNode conversation = root.get("conversation");
        if (upTo == null || conversation == null || !conversation.isTextual()) {
          yield new Invalid(id, "invalid", "read needs 'conversation' and a non-negative integer 'upTo'");
        }
        yield new Read(conversation.asText(), upTo);
      }
      case "subscribe", "unsubscribe" -> {
        JsonNode users = root.get("users");
        if (users == null || !users.isArray() || users.size() > MAX_SUBSCRIBE) {
          yield new Invalid(id, "invalid", "'users' must be an array of at most " + MAX_SUBSCRIBE + " usernames");
        }
        List<String> names = new ArrayList<>(users.size());
        for (JsonNode u : users) {
          if (!u.isTextual() || !USERNAME.matcher(u.asText()).matches()) {
            yield new Invalid(id, "invalid", "not a username: " + u);
          }
          names.add(u.asText());
        }
        yield new Subscribe(names, typeNode.asText().equals("subscribe"));
      }
      case "typing" -> {
        JsonNode to = root.get("to");
        yield to == null || !to.isTextual() ? new Invalid(id, "invalid", "typing needs 'to'") : new Typing(to.asText());
      }
      case "ping" -> new Ping();
      default -> new Invalid(id, "unknown_type", "unknown frame type: " + abbreviate(typeNode.asText()));
    };
  }

  private static ClientFrame parseSend(JsonNode root, String id, int maxTextLength) {
    if (id == null || id.isEmpty() || id.length() > MAX_CLIENT_ID) {
      return new Invalid(id, "invalid", "send needs a string 'id' of 1.." + MAX_CLIENT_ID + " characters");
    }
    JsonNode to = root.get("to");
    if (to == null || !to.isTextual()) return new Invalid(id, "invalid", "send needs 'to'");
    JsonNode body = root.get("body");
    if (body == null || !body.isObject()) return new Invalid(id, "invalid", "send needs an object 'body'");
    JsonNode text = body.get("text");
    JsonNode media = body.get("media");
    if (text == null && media == null) return new Invalid(id, "invalid", "body needs 'text' or 'media'");
    if (text != null && (!text.isTextual() || text.asText().length() > maxTextLength)) {
      return new Invalid(id, "invalid", "body.text must be a string of at most " + maxTextLength + " characters");
    }
    if (media != null && (!media.isObject() || !media.path("mediaId").isTextual())) {
      return new Invalid(id, "invalid", "body.media needs a string 'mediaId'");
    }
    if (media != null) ((com.fasterxml.jackson.databind.node.ObjectNode) media).remove(List.of("url", "thumbnailUrl")); // the server signs those
    return new Send(id, to.asText(), Json.write(body), media == null ? null : media.get("mediaId").asText());
  }

  private static Long nonNegative(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.canConvertToLong() || !n.isIntegralNumber() || n.asLong() < 0) return null;
    return n.asLong();
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
