package chat.media;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The id in a media path: a random upload id, optionally with the thumbnail suffix. The variant is part of the id
 * so that a thumbnail has its own stable URL, signature and cache key.
 */
public record MediaId(String mediaId, Variant variant) {
  public enum Variant {
    ORIGINAL("o"), THUMBNAIL("t");
    private final String code;
    Variant(String code) { this.code = code; }
    public String code() { return code; }
  }

  private static final String THUMBNAIL_SUFFIX = "-t";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** 128 random bits in hex: unguessable, and safe in paths, file names and SQL keys. */
  public static String newMediaId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  public static String thumbnailIdOf(String mediaId) { return mediaId + THUMBNAIL_SUFFIX; }

  /** Parses a path id; anything not shaped like one of ours is empty (a 404, never a lookup). */
  public static Optional<MediaId> parse(String pathId) {
    if (pathId == null) return Optional.empty();
    Variant variant = Variant.ORIGINAL;
    String base = pathId;
    if (pathId.endsWith(THUMBNAIL_SUFFIX)) {
      variant = Variant.THUMBNAIL;
      base = pathId.substring(0, pathId.length() - THUMBNAIL_SUFFIX.length());
    }
    if (base.length() != 32) return Optional.empty();
    for (int i = 0; i < base.length(); i++) {
      char c = base.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return Optional.empty();
    }
    return Optional.of(new MediaId(base, variant));
  }

  /** The id as it appears in paths; also the edge's cache key (content, never the signature). */
  public String pathId() { return variant == Variant.THUMBNAIL ? thumbnailIdOf(mediaId) : mediaId; }
}
