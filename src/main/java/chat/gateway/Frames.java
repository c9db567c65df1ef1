package chat.gateway;

import chat.ephemeral.Sealer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.UnaryOperator;
import chat.json.Json;
import chat.presence.Presence;
import chat.user.User;

/** Server -> client frames of PROTOCOL.md, written with a streaming generator. */
public final class Frames {
  private Frames() {}

  public static String hello(String userId, long lastSeq, long serverTime) {
    return Json.render(g -> {
      g.writeStringField("type", "hello");
      g.writeStringField("userId", userId);
      g.writeNumberField("lastSeq", lastSeq);
      g.writeNumberField("serverTime", serverTime);
    });
  }

  /** The frame of one update in {@code userId}'s stream. */
  public static String update(String userId, long seq, User.Event event, Sealer sealer, UnaryOperator<String> mediaUrl, long now) {
    return switch (event) {
      case User.MessageSent m -> message(seq, m.msgId(), m.conversation(), userId, m.ts(),
          withMediaUrl(open(sealer, m.msgId(), m.expiresAt(), m.body(), now), mediaUrl), 0, m.expiresAt());
      case User.MessageReceived m -> message(seq, m.msgId(), m.conversation(), m.from(), m.ts(),
          withMediaUrl(open(sealer, m.msgId(), m.expiresAt(), m.body(), now), mediaUrl), m.groupSeq(), m.expiresAt());
      case User.SettingsChanged c -> Json.render(g -> {
        g.writeStringField("type", "settings");
        g.writeNumberField("seq", seq);
        g.writeStringField("conversation", c.conversation());
        g.writeNumberField("disappearAfterSeconds", c.disappearAfterSeconds());
        g.writeStringField("by", c.by());
      });
      case User.Expired x -> Json.render(g -> {
        g.writeStringField("type", "expired");
        g.writeNumberField("seq", seq);
        g.writeStringField("conversation", x.conversation());
        stringArray(g, "msgIds", x.msgIds());
      });
      case User.GroupChanged c -> Json.render(g -> {
        User.GroupChange ch = c.change();
        g.writeStringField("type", "group");
        g.writeNumberField("seq", seq);
        g.writeStringField("groupId", ch.groupId());
        g.writeStringField("event", ch.event());
        g.writeStringField("by", ch.by());
        if (ch.users() != null) stringArray(g, "users", ch.users());
        if (ch.members() != null) stringArray(g, "members", ch.members());
        if (ch.name() != null) g.writeStringField("name", ch.name());
      });
      case User.DeliveryFailed f -> Json.render(g -> {
        g.writeStringField("type", "failed");
        g.writeNumberField("seq", seq);
        if (f.clientId() != null) g.writeStringField("id", f.clientId());
        g.writeStringField("msgId", f.msgId());
        g.writeStringField("conversation", f.conversation());
        g.writeStringField("member", f.member());
        g.writeStringField("reason", f.reason());
      });
      case User.ReceiptAdded r -> Json.render(g -> {
        g.writeStringField("type", "receipt");
        g.writeNumberField("seq", seq);
        g.writeStringField("msgId", r.msgId());
        g.writeStringField("conversation", r.conversation());
        g.writeStringField("status", r.status());
        g.writeStringField("by", r.by());
        g.writeNumberField("ts", r.ts());
      });
      case User.Batch b -> throw new IllegalArgumentException("a journal row, not an update: read it through UpdateLog");
    };
  }

  private static void stringArray(com.fasterxml.jackson.core.JsonGenerator g, String field, java.util.List<String> values)
      throws java.io.IOException {
    g.writeArrayFieldStart(field);
    for (String v : values) g.writeString(v);
    g.writeEndArray();
  }

  /**
   * Adds {@code body.media.url}, a relative signed URL, to bodies that reference media. Signed when
   * rendered, not when stored, so a replay months later still carries a URL that works.
   */
  static String withMediaUrl(String body, UnaryOperator<String> mediaUrl) {
    if (body == null || !body.contains("\"media\"")) return body;
    try {
      JsonNode root = Json.MAPPER.readTree(body);
      JsonNode media = root.get("media");
      if (media instanceof ObjectNode m && m.path("mediaId").isTextual()) {
        m.put("url", mediaUrl.apply(m.get("mediaId").asText()));
        if (m.path("thumbnailId").isTextual()) m.put("thumbnailUrl", mediaUrl.apply(m.get("thumbnailId").asText()));
        return Json.write(root);
      }
      return body;
    } catch (java.io.IOException e) {
      return body;
    }
  }

  /** The body to show, or null once a temporary message has expired (its frame is then a tombstone). */
  private static String open(Sealer sealer, String msgId, long expiresAt, String body, long now) {
    if (expiresAt <= 0) return body;
    return sealer.open(msgId, expiresAt, body, now).orElse(null);
  }

  private static String message(long seq, String msgId, String conversation, String from, long ts, String body, long groupSeq,
                                long expiresAt) {
    return Json.render(g -> {
      g.writeStringField("type", "message");
      g.writeNumberField("seq", seq);
      g.writeStringField("msgId", msgId);
      g.writeStringField("conversation", conversation);
      g.writeStringField("from", from);
      g.writeNumberField("ts", ts);
      if (groupSeq > 0) g.writeNumberField("groupSeq", groupSeq);
      if (expiresAt > 0) g.writeNumberField("expiresAt", expiresAt);
      if (body == null) {
        g.writeBooleanField("expired", true);
      } else {
        g.writeFieldName("body");
        g.writeRawValue(body);
      }
    });
  }

  public static String ack(User.Acked a) {
    return Json.render(g -> {
      g.writeStringField("type", "ack");
      g.writeStringField("id", a.clientId());
      g.writeStringField("msgId", a.msgId());
      g.writeStringField("conversation", a.conversation());
      g.writeNumberField("ts", a.ts());
      if (a.seq() > 0) g.writeNumberField("seq", a.seq());
    });
  }

  public static String error(String id, String code, String message) {
    return Json.render(g -> {
      g.writeStringField("type", "error");
      if (id != null) g.writeStringField("id", id);
      g.writeStringField("code", code);
      g.writeStringField("message", message);
    });
  }

  public static String presence(Presence.PresenceChanged p) {
    return Json.render(g -> {
      g.writeStringField("type", "presence");
      g.writeStringField("user", p.user());
      g.writeBooleanField("online", p.online());
      if (p.lastSeen() > 0) g.writeNumberField("lastSeen", p.lastSeen());
    });
  }

  public static String typing(Presence.TypingNow t) {
    return Json.render(g -> {
      g.writeStringField("type", "typing");
      g.writeStringField("conversation", t.conversation());
      g.writeStringField("user", t.user());
    });
  }

  public static final String PONG = "{\"type\":\"pong\"}";
}
