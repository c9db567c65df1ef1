package chat.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads duration ({@code Segment/Info}) and picture size ({@code Segment/Tracks/TrackEntry/Video}) from a WebM
 * (Matroska EBML) file; stops at the first Cluster, where the media data begins.
 */
final class WebmHeader {
  private static final long SEGMENT = 0x18538067L, INFO = 0x1549A966L, TRACKS = 0x1654AE6BL,
      TRACK_ENTRY = 0xAEL, VIDEO = 0xE0L, CLUSTER = 0x1F43B675L,
      TIMECODE_SCALE = 0x2AD7B1L, DURATION = 0x4489L, PIXEL_WIDTH = 0xB0L, PIXEL_HEIGHT = 0xBAL;
  private static final long UNKNOWN_SIZE = -1;
  private static final int MAX_ELEMENTS = 10_000;

  private final FileChannel channel;
  private long timecodeScale = 1_000_000;
  private Double duration;
  private Integer width;
  private Integer height;
  private int elementsSeen;
  private boolean reachedClusters;

  private WebmHeader(FileChannel channel) {
    this.channel = channel;
  }

  static MediaProbe.Facts read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      WebmHeader header = new WebmHeader(ch);
      header.walk(0, ch.size());
      Long ms = header.duration == null ? null : Math.round(header.duration * header.timecodeScale / 1_000_000.0);
      return new MediaProbe.Facts(header.width, header.height, ms);
    }
  }

  private void walk(long start, long end) throws IOException {
    long position = start;
    while (position < end && !reachedClusters && elementsSeen++ < MAX_ELEMENTS) {
      ByteBuffer head = MediaProbe.readAt(channel, position, 12);
      if (head.remaining() < 2) return;
      int idLength = vintLength(head.get(0));
      if (idLength == 0 || idLength > 4 || head.remaining() < idLength + 1) return;
      long id = 0;
      for (int i = 0; i < idLength; i++) id = (id << 8) | (head.get(i) & 0xFF);
      int sizeLength = vintLength(head.get(idLength));
      if (sizeLength == 0 || head.remaining() < idLength + sizeLength) return;
      long size = head.get(idLength) & (0xFF >> sizeLength);
      boolean allOnes = size == (0xFF >> sizeLength);
      for (int i = 1; i < sizeLength; i++) {
        int b = head.get(idLength + i) & 0xFF;
        allOnes &= b == 0xFF;
        size = (size << 8) | b;
      }
      if (allOnes) size = UNKNOWN_SIZE;
      long payload = position + idLength + sizeLength;
      long payloadEnd = size == UNKNOWN_SIZE ? end : Math.min(end, payload + size);
      if (id == CLUSTER) {
        reachedClusters = true;
        return;
      } else if (id == SEGMENT || id == INFO || id == TRACKS || id == TRACK_ENTRY || id == VIDEO) {
        walk(payload, payloadEnd);
      } else if (size != UNKNOWN_SIZE && size <= 8) {
        ByteBuffer value = MediaProbe.readAt(channel, payload, (int) size);
        if (id == TIMECODE_SCALE) timecodeScale = unsigned(value);
        else if (id == DURATION) duration = size == 4 ? (double) value.getFloat(0) : size == 8 ? value.getDouble(0) : null;
        else if (id == PIXEL_WIDTH && width == null) width = (int) unsigned(value);
        else if (id == PIXEL_HEIGHT && height == null) height = (int) unsigned(value);
      } else if (size == UNKNOWN_SIZE) {
        return;
      }
      position = payloadEnd;
    }
  }

  private static int vintLength(byte first) {
    int b = first & 0xFF;
    for (int length = 1; length <= 8; length++) if ((b & (0x80 >> (length - 1))) != 0) return length;
    return 0;
  }

  private static long unsigned(ByteBuffer value) {
    long v = 0;
    for (int i = 0; i < value.remaining(); i++) v = (v << 8) | (value.get(i) & 0xFF);
    return v;
  }
}
