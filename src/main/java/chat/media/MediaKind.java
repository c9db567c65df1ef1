package chat.media;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** The media types Parley accepts, recognised from their leading bytes rather than from what a client claims. */
public enum MediaKind {
  JPEG("image/jpeg", false),
  PNG("image/png", false),
  WEBP("image/webp", false),
  GIF("image/gif", false),
  MP4("video/mp4", true),
  WEBM("video/webm", true);

  /** Enough leading bytes to tell every accepted type apart (WebM's DocType sits inside its EBML header). */
  public static final int SNIFF_BYTES = 64;

  private final String contentType;
  private final boolean video;

  MediaKind(String contentType, boolean video) {
    this.contentType = contentType;
    this.video = video;
  }

  public String contentType() { return contentType; }

  public boolean isVideo() { return video; }

  public static Optional<MediaKind> fromContentType(String declared) {
    if (declared == null) return Optional.empty();
    String bare = declared.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    for (MediaKind kind : values()) if (kind.contentType.equals(bare)) return Optional.of(kind);
    return Optional.empty();
  }

  /** The type the bytes actually are, judged from the first {@code length} bytes of {@code head}. */
  public static Optional<MediaKind> sniff(byte[] head, int length) {
    if (startsWith(head, length, 0, 0xFF, 0xD8, 0xFF)) return Optional.of(JPEG);
    if (startsWith(head, length, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) return Optional.of(PNG);
    if (ascii(head, length, 0, "GIF87a") || ascii(head, length, 0, "GIF89a")) return Optional.of(GIF);
    if (ascii(head, length, 0, "RIFF") && ascii(head, length, 8, "WEBP")) return Optional.of(WEBP);
    if (ascii(head, length, 4, "ftyp") && length >= 12 && isVideoBrand(new String(head, 8, 4, StandardCharsets.ISO_8859_1)))
      return Optional.of(MP4);
    if (startsWith(head, length, 0, 0x1A, 0x45, 0xDF, 0xA3) && contains(head, length, "webm")) return Optional.of(WEBM);
    return Optional.empty();
  }

  /** ISO-BMFF also carries still images (HEIF, AVIF) and QuickTime; only MP4-family brands count as video/mp4. */
  private static boolean isVideoBrand(String brand) {
    return switch (brand) {
      case "heic", "heix", "heim", "heis", "hevc", "mif1", "msf1", "avif", "avis", "qt  ", "crx " -> false;
      default -> true;
    };
  }

  private static boolean startsWith(byte[] head, int length, int at, int... expected) {
    if (length < at + expected.length) return false;
    for (int i = 0; i < expected.length; i++) if ((head[at + i] & 0xFF) != expected[i]) return false;
    return true;
  }

  private static boolean ascii(byte[] head, int length, int at, String expected) {
    if (length < at + expected.length()) return false;
    for (int i = 0; i < expected.length(); i++) if (head[at + i] != expected.charAt(i)) return false;
    return true;
  }

  private static boolean contains(byte[] head, int length, String needle) {
    for (int i = 0; i + needle.length() <= length; i++) if (ascii(head, length, i, needle)) return true;
    return false;
  }
}
