package chat.media;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Optional;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;

/**
 * Reads what a client may want to know before downloading: image dimensions, video dimensions and duration from
 * the container headers, and a bounded-size JPEG thumbnail. Works on files, never whole bodies in memory.
 */
final class MediaProbe {
  /** Dimensions (and for video, duration); any of them may be unknown. */
  record Facts(Integer width, Integer height, Long durationMs) {
    static final Facts UNKNOWN = new Facts(null, null, null);
  }

  private MediaProbe() {}

  static Facts facts(MediaKind kind, Path file) {
    try {
      return switch (kind) {
        case JPEG, PNG, GIF -> imageIoFacts(file);
        case WEBP -> webpFacts(file);
        case MP4 -> Mp4Header.read(file);
        case WEBM -> WebmHeader.read(file);
      };
    } catch (IOException | RuntimeException unreadable) {
      return Facts.UNKNOWN;
    }
  }

  private static Facts imageIoFacts(Path file) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) return Facts.UNKNOWN;
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        return new Facts(reader.getWidth(0), reader.getHeight(0), null);
      } finally {
        reader.dispose();
      }
    }
  }

  /** RIFF/WEBP: the first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended, carries the canvas size). */
  private static Facts webpFacts(Path file) throws IOException {
    ByteBuffer head;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      head = readAt(ch, 0, 30).order(ByteOrder.LITTLE_ENDIAN);
    }
    if (head.remaining() < 30) return Facts.UNKNOWN;
    String chunk = new String(head.array(), 12, 4, java.nio.charset.StandardCharsets.US_ASCII);
    return switch (chunk) {
      case "VP8 " -> new Facts(head.getShort(26) & 0x3FFF, head.getShort(28) & 0x3FFF, null);
      case "VP8L" -> {
        int bits = head.getInt(21);
        yield new Facts((bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1, null);
      }
      case "VP8X" -> new Facts(u24(head, 24) + 1, u24(head, 27) + 1, null);
      default -> Facts.UNKNOWN;
    };
  }

  private static int u24(ByteBuffer b, int at) {
    return (b.get(at) & 0xFF) | (b.get(at + 1) & 0xFF) << 8 | (b.get(at + 2) & 0xFF) << 16;
  }

  /**
   * Writes a JPEG no larger than {@code maxDimension} on either side. Decodes with source subsampling so a huge
   * image never needs a full-resolution raster. Empty when no decoder exists or the image is too large to decode.
   */
  static Optional<Path> imageThumbnail(Path source, Path target, int maxDimension, long maxDecodePixels, float quality)
      throws IOException {
    BufferedImage decoded;
    try (ImageInputStream in = ImageIO.createImageInputStream(source.toFile())) {
      if (in == null) return Optional.empty();
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) return Optional.empty();
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if ((long) width * height > maxDecodePixels) return Optional.empty();
        int subsampling = Math.max(1, Math.max(width, height) / (maxDimension * 2));
        ImageReadParam param = reader.getDefaultReadParam();
        param.setSourceSubsampling(subsampling, subsampling, 0, 0);
        decoded = reader.read(0, param);
      } finally {
        reader.dispose();
      }
    }
    return Optional.of(writeJpeg(scaleToFit(decoded, maxDimension), target, quality));
  }

  /** Re-encodes an existing frame (for example a video poster written by ffmpeg) within the same bounds. */
  static Optional<Path> rescale(Path frame, Path target, int maxDimension, float quality) throws IOException {
    BufferedImage image = ImageIO.read(frame.toFile());
    if (image == null) return Optional.empty();
    return Optional.of(writeJpeg(scaleToFit(image, maxDimension), target, quality));
  }

  private static BufferedImage scaleToFit(BufferedImage image, int maxDimension) {
    double scale = Math.min(1.0, (double) maxDimension / Math.max(image.getWidth(), image.getHeight()));
    int width = Math.max(1, (int) Math.round(image.getWidth() * scale));
    int height = Math.max(1, (int) Math.round(image.getHeight() * scale));
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE); // JPEG has no alpha: transparent pixels become white, not black
      g.fillRect(0, 0, width, height);
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(image, 0, 0, width, height, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  private static Path writeJpeg(BufferedImage image, Path target, float quality) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(target.toFile())) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return target;
  }

  /** Up to {@code length} bytes of the file from {@code position} (fewer at its end), ready to read. */
  static ByteBuffer readAt(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position + buffer.position());
      if (read < 0) break;
    }
    buffer.flip();
    return buffer;
  }
}
