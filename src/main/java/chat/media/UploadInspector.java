package chat.media;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.pekko.util.ByteString;

/**
 * Watches an upload stream chunk by chunk: hashes it, counts it against the type's limit and checks the leading
 * bytes against the declared type. Rejections are thrown as {@link UploadRejected}, which fails the stream at once.
 */
final class UploadInspector {
  /** Why an upload was refused, carried as the stream's failure. */
  static final class UploadRejected extends RuntimeException {
    final int status;
    final String code;

    UploadRejected(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  private final MediaKind declared;
  private final long limit;
  private final MessageDigest digest;
  private final byte[] head = new byte[MediaKind.SNIFF_BYTES];
  private int headLength;
  private boolean sniffed;
  private long size;

  UploadInspector(MediaKind declared, long limit) {
    this.declared = declared;
    this.limit = limit;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  ByteString accept(ByteString chunk) {
    size += chunk.size();
    if (size > limit) throw tooLarge();
    for (java.nio.ByteBuffer buffer : chunk.getByteBuffers()) digest.update(buffer);
    if (!sniffed) {
      int take = Math.min(head.length - headLength, chunk.size());
      chunk.slice(0, take).copyToArray(head, headLength, take);
      headLength += take;
      if (headLength == head.length) check();
    }
    return chunk;
  }

  /** Called once the whole body is on disk. */
  void finish() {
    if (size == 0) throw new UploadRejected(400, "empty_body", "the upload has no bytes");
    if (!sniffed) check();
  }

  long size() { return size; }

  String sha256() { return HexFormat.of().formatHex(digest.digest()); }

  private void check() {
    sniffed = true;
    MediaKind actual = MediaKind.sniff(head, headLength).orElse(null);
    if (actual != declared) {
      throw new UploadRejected(415, "unsupported_media_type", actual == null
          ? "the bytes are not " + declared.contentType() + " (nor any accepted image or video type)"
          : "the bytes are " + actual.contentType() + ", not the declared " + declared.contentType());
    }
  }

  UploadRejected tooLarge() {
    return new UploadRejected(413, "too_large",
        declared.contentType() + " uploads are limited to " + limit + " bytes");
  }
}
