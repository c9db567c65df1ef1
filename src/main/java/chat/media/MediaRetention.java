package chat.media;

import chat.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * How long shared media must live: every message that references it says so when it is sent
 * ({@code expiresAt} 0 = a permanent message: keep forever). Media referenced only by disappearing
 * messages is deleted once the last of them has expired.
 */
public interface MediaRetention {
  void retain(String mediaId, long expiresAt);

  /** For entity tests that send no media. */
  MediaRetention NONE = (mediaId, expiresAt) -> {};

  /** The media id a message body references, or null. */
  static String mediaIdOf(String body) {
    if (body == null || !body.contains("\"media\"")) return null;
    try {
      JsonNode id = Json.MAPPER.readTree(body).path("media").path("mediaId");
      return id.isTextual() ? id.asText() : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
