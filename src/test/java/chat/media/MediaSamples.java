package chat.media;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import javax.imageio.ImageIO;

/** Real media files made on the fly: encoded by ImageIO, or containers assembled box by box / element by element. */
public final class MediaSamples {
  private MediaSamples() {}

  public static byte[] png(int width, int height) {
    return image("png", width, height, BufferedImage.TYPE_INT_ARGB);
  }

  public static byte[] jpeg(int width, int height) {
    return image("jpeg", width, height, BufferedImage.TYPE_INT_RGB);
  }

  public static byte[] gif(int width, int height) {
    return image("gif", width, height, BufferedImage.TYPE_INT_RGB);
  }

  /** A PNG whose pixels are noise, so its size grows with its area (for size-limit and large-object tests). */
  public static byte[] noisyPng(int width, int height, long seed) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) img.setRGB(x, y, random.nextInt());
    return encode(img, "png");
  }

  private static byte[] image(String format, int width, int height, int type) {
    BufferedImage img = new BufferedImage(width, height, type);
    Graphics2D g = img.createGraphics();
    g.setColor(new Color(30, 120, 200));
    g.fillRect(0, 0, width, height);
    g.setColor(Color.ORANGE);
    g.fillOval(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    return encode(img, format);
  }

  private static byte[] encode(BufferedImage img, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(img, format, out)) throw new IllegalStateException("no writer for " + format);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An extended-format WebP header (VP8X) declaring the canvas size; enough for sniffing and dimensions. */
  public static byte[] webp(int width, int height) {
    ByteBuffer b = ByteBuffer.allocate(30 + 10).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(32).put("WEBP".getBytes(StandardCharsets.US_ASCII));
    b.put("VP8X".getBytes(StandardCharsets.US_ASCII)).putInt(10);
    b.put((byte) 0).put(new byte[3]);
    putU24(b, width - 1);
    putU24(b, height - 1);
    return b.array();
  }

  private static void putU24(ByteBuffer b, int v) {
    b.put((byte) v).put((byte) (v >> 8)).put((byte) (v >> 16));
  }

  /** An MP4 with ftyp, moov (mvhd + one video trak/tkhd, one audio trak with zero size) and an mdat payload. */
  public static byte[] mp4(int width, int height, long durationMs, int mdatBytes) {
    byte[] ftyp = box("ftyp", concat("isom".getBytes(StandardCharsets.US_ASCII), new byte[4],
        "isomiso2avc1mp41".getBytes(StandardCharsets.US_ASCII)));
    ByteBuffer mvhd = ByteBuffer.allocate(100);
    mvhd.putInt(0).putInt(0).putInt(0).putInt(1000).putInt((int) durationMs);
    byte[] audio = box("trak", box("tkhd", tkhd(0, 0)));
    byte[] video = box("trak", box("tkhd", tkhd(width, height)));
    byte[] moov = box("moov", concat(box("mvhd", mvhd.array()), audio, video));
    byte[] payload = new byte[mdatBytes];
    new Random(7).nextBytes(payload);
    return concat(ftyp, box("mdat", payload), moov);
  }

  private static byte[] tkhd(int width, int height) {
    ByteBuffer b = ByteBuffer.allocate(84);
    b.putInt(0); // version 0, flags
    b.position(76);
    b.putInt(width << 16).putInt(height << 16);
    return b.array();
  }

  private static byte[] box(String type, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
    b.putInt(8 + payload.length).put(type.getBytes(StandardCharsets.US_ASCII)).put(payload);
    return b.array();
  }

  /** A WebM: EBML header (DocType webm), Segment with Info (scale, duration), Tracks (video size), one Cluster. */
  public static byte[] webm(int width, int height, double durationMs) {
    byte[] header = element(0x1A45DFA3L, concat(element(0x4282, "webm".getBytes(StandardCharsets.US_ASCII)),
        element(0x4287, new byte[] {4})));
    byte[] info = element(0x1549A966L, concat(element(0x2AD7B1L, new byte[] {0x0F, 0x42, 0x40}),
        element(0x4489, ByteBuffer.allocate(8).putDouble(durationMs).array())));
    byte[] videoSettings = element(0xE0, concat(element(0xB0, u16(width)), element(0xBA, u16(height))));
    byte[] tracks = element(0x1654AE6BL, element(0xAE, concat(element(0xD7, new byte[] {1}), videoSettings)));
    byte[] cluster = element(0x1F43B675L, element(0xE7, new byte[] {0}));
    return concat(header, element(0x18538067L, concat(info, tracks, cluster)));
  }

  private static byte[] u16(int v) {
    return new byte[] {(byte) (v >> 8), (byte) v};
  }

  private static byte[] element(long id, byte[] payload) {
    int idLength = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;
    ByteBuffer b = ByteBuffer.allocate(idLength + 8 + payload.length);
    for (int i = idLength - 1; i >= 0; i--) b.put((byte) (id >> (8 * i)));
    b.put((byte) 0x01); // 8-byte size vint
    long size = payload.length;
    for (int i = 6; i >= 0; i--) b.put((byte) (size >> (8 * i)));
    b.put(payload);
    return b.array();
  }

  public static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] p : parts) length += p.length;
    ByteBuffer b = ByteBuffer.allocate(length);
    for (byte[] p : parts) b.put(p);
    return b.array();
  }
}
