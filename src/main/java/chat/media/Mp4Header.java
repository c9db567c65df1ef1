package chat.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads duration ({@code moov/mvhd}) and picture size (the first {@code moov/trak/tkhd} with a non-zero width) from
 * an ISO-BMFF file. Only box headers and the two small boxes are read; {@code mdat} is skipped wherever it is.
 */
final class Mp4Header {
  private static final int MAX_BOXES = 10_000;

  private final FileChannel channel;
  private Integer width;
  private Integer height;
  private Long durationMs;
  private int boxesSeen;

  private Mp4Header(FileChannel channel) {
    this.channel = channel;
  }

  static MediaProbe.Facts read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Mp4Header header = new Mp4Header(ch);
      header.walk(0, ch.size(), 0);
      return new MediaProbe.Facts(header.width, header.height, header.durationMs);
    }
  }

  private void walk(long start, long end, int depth) throws IOException {
    long position = start;
    while (position + 8 <= end && boxesSeen++ < MAX_BOXES) {
      ByteBuffer header = MediaProbe.readAt(channel, position, 16);
      if (header.remaining() < 8) return;
      long size = header.getInt(0) & 0xFFFFFFFFL;
      String type = new String(header.array(), 4, 4, StandardCharsets.ISO_8859_1);
      int headerLength = 8;
      if (size == 1) {
        if (header.remaining() < 16) return;
        size = header.getLong(8);
        headerLength = 16;
      } else if (size == 0) {
        size = end - position;
      }
      if (size < headerLength || position + size > end) return;
      long payload = position + headerLength;
      long payloadLength = size - headerLength;
      switch (type) {
        case "moov", "trak" -> { if (depth < 4) walk(payload, payload + payloadLength, depth + 1); }
        case "mvhd" -> readMovieHeader(payload, payloadLength);
        case "tkhd" -> readTrackHeader(payload, payloadLength);
        default -> { }
      }
      position += size;
    }
  }

  private void readMovieHeader(long payload, long length) throws IOException {
    ByteBuffer b = MediaProbe.readAt(channel, payload, (int) Math.min(length, 32));
    int version = b.get(0);
    long timescale;
    long duration;
    if (version == 1 && b.remaining() >= 32) {
      timescale = b.getInt(20) & 0xFFFFFFFFL;
      duration = b.getLong(24);
    } else if (b.remaining() >= 20) {
      timescale = b.getInt(12) & 0xFFFFFFFFL;
      duration = b.getInt(16) & 0xFFFFFFFFL;
    } else {
      return;
    }
    if (timescale > 0 && duration >= 0 && duration != 0xFFFFFFFFL) durationMs = duration * 1000 / timescale;
  }

  private void readTrackHeader(long payload, long length) throws IOException {
    if (width != null) return;
    ByteBuffer b = MediaProbe.readAt(channel, payload, (int) Math.min(length, 96));
    int at = b.get(0) == 1 ? 88 : 76;
    if (b.remaining() < at + 8) return;
    int w = b.getInt(at) >>> 16;
    int h = b.getInt(at + 4) >>> 16;
    if (w > 0 && h > 0) {
      width = w;
      height = h;
    }
  }
}
