package chat.testing;

import java.io.ByteArrayOutputStream;

/** WebSocket frames as a client writes them (RFC 6455), for tests that speak the wire format directly. */
public final class ClientFrames {
  private static final byte[] MASK = {0x12, (byte) 0xA4, 0x5C, (byte) 0xF1};

  private ClientFrames() {}

  /** One frame; {@code masked} false and {@code reservedBits} non-zero make frames a server must refuse. */
  public static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked, int reservedBits) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((fin ? 0x80 : 0) | reservedBits | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length <= 125) {
      out.write(maskBit | payload.length);
    } else if (payload.length <= 0xFFFF) {
      out.write(maskBit | 126);
      out.write(payload.length >> 8);
      out.write(payload.length & 0xFF);
    } else {
      out.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) out.write((int) ((long) payload.length >> (8 * i)) & 0xFF);
    }
    if (masked) out.writeBytes(MASK);
    for (int i = 0; i < payload.length; i++) out.write(masked ? payload[i] ^ MASK[i & 3] : payload[i]);
    return out.toByteArray();
  }
}
