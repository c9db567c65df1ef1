package chat.gateway;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.apache.pekko.util.ByteString;

/**
 * The server's side of RFC 6455's wire format: client frames decoded incrementally from the raw
 * bytes of the connection, server frames encoded whole.
 *
 * <p>Parley speaks it itself instead of through Pekko HTTP's message API, which turns every incoming
 * frame into a substream and materialises two small streams for it (a quarter of what the node
 * allocated per message), and which keeps a socket's whole framing pipeline of about thirty stages
 * alive for the socket's life.
 */
public final class WebSocketWire {
  static final int CONTINUATION = 0x0;
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;
  static final int PONG = 0xA;

  public static final int NORMAL_CLOSURE = 1000;
  public static final int PROTOCOL_ERROR = 1002;
  public static final int INVALID_PAYLOAD = 1007;
  public static final int MESSAGE_TOO_BIG = 1009;
  /** The node is going away; reconnecting (to another node) will work. */
  public static final int SERVICE_RESTART = 1012;
  private static final int NO_STATUS = 1005;
  private static final int MAX_CONTROL_PAYLOAD = 125;
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private WebSocketWire() {}

  /** What one or more client frames amounted to. */
  public sealed interface Event {}
  /** A whole text message, its fragments joined, checked to be UTF-8. */
  public record Text(String text) implements Event {}
  /** A whole binary message; Parley does not read binary, so only the fact is kept. */
  public record Binary() implements Event {}
  /** A data message over the size limit, skipped as it arrived: none of it was buffered. */
  public record TooLarge() implements Event {}
  public record Ping(ByteString payload) implements Event {}
  public record Pong() implements Event {}
  /** The peer's close; {@code code} is 1005 when the frame carried none. */
  public record Close(int code) implements Event {}
  /** The peer broke the protocol: the connection is closed with {@code code}. Nothing follows. */
  public record Violation(int code, String reason) implements Event {}

  /** {@code Sec-WebSocket-Accept} for a client's {@code Sec-WebSocket-Key} (RFC 6455, 4.2.2). */
  public static String acceptKey(String clientKey) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest((clientKey + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /** One unfragmented, unmasked text frame. */
  public static ByteString text(String text) {
    return frame(TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  public static ByteString ping() {
    return frame(PING, new byte[0]);
  }

  public static ByteString pong(ByteString payload) {
    return frame(PONG, payload.toArray());
  }

  /** A close frame; code 1005 means "no status" and is sent as an empty payload, as the RFC requires. */
  public static ByteString close(int code) {
    if (code == NO_STATUS) return frame(CLOSE, new byte[0]);
    return frame(CLOSE, new byte[] {(byte) (code >> 8), (byte) code});
  }

  static ByteString frame(int opcode, byte[] payload) {
    int length = payload.length;
    int header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
    byte[] out = new byte[header + length];
    out[0] = (byte) (0x80 | opcode);
    if (header == 2) {
      out[1] = (byte) length;
    } else if (header == 4) {
      out[1] = 126;
      out[2] = (byte) (length >> 8);
      out[3] = (byte) length;
    } else {
      out[1] = 127;
      for (int i = 0; i < 8; i++) out[2 + i] = (byte) ((long) length >> (56 - 8 * i));
    }
    System.arraycopy(payload, 0, out, header, length);
    return ByteString.fromArrayUnsafe(out);
  }

  /**
   * Decodes a client's frames as the bytes arrive. Holds at most one frame's header and payload (a
   * data frame within the limit, or a control frame), never more of a message than the limit.
   */
  public static final class Decoder {
    private final int maxMessageBytes;
    private ByteString buffer = ByteString.emptyByteString();
    /** The data message in progress: its opcode, or -1 between messages. */
    private int messageOpcode = -1;
    /** The message's unmasked payload so far; null while a message is being skipped. */
    private byte[] message;
    private int messageLength;
    private boolean skipping;
    /** Payload bytes of the current frame still to skip (a skipped message's frames are dropped as they come). */
    private long skipRemaining;
    private boolean skippedFrameFinal;
    private boolean failed;

    public Decoder(int maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
    }

    public void feed(ByteString bytes) {
      if (failed || bytes.isEmpty()) return;
      buffer = buffer.isEmpty() ? bytes : buffer.concat(bytes);
    }

    /** Bytes held that belong to frames not yet complete. */
    public int buffered() {
      return buffer.size();
    }

    /** The next event the bytes fed so far make whole, or null until more bytes arrive. */
    public Event next() {
      while (!failed) {
        if (skipRemaining > 0) {
          int drop = (int) Math.min(skipRemaining, buffer.size());
          buffer = buffer.drop(drop);
          skipRemaining -= drop;
          if (skipRemaining > 0) return null;
          if (skippedFrameFinal) return endMessage();
          continue;
        }
        if (buffer.size() < 2) return null;
        int b0 = buffer.apply(0) & 0xFF;
        int b1 = buffer.apply(1) & 0xFF;
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        if ((b0 & 0x70) != 0) return violation(PROTOCOL_ERROR, "reserved bits set without an extension");
        if ((b1 & 0x80) == 0) return violation(PROTOCOL_ERROR, "client frames must be masked");
        int length7 = b1 & 0x7F;
        int headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + 4;
        if (buffer.size() < headerLength) return null;
        long length = length7;
        if (length7 == 126) {
          length = ((buffer.apply(2) & 0xFF) << 8) | (buffer.apply(3) & 0xFF);
        } else if (length7 == 127) {
          length = 0;
          for (int i = 0; i < 8; i++) length = (length << 8) | (buffer.apply(2 + i) & 0xFF);
          if (length < 0) return violation(PROTOCOL_ERROR, "frame length over 2^63");
        }
        int maskAt = headerLength - 4;

        if (opcode >= CLOSE) {
          if (opcode > PONG) return violation(PROTOCOL_ERROR, "unknown opcode " + opcode);
          if (!fin || length > MAX_CONTROL_PAYLOAD) return violation(PROTOCOL_ERROR, "control frames must be whole and at most 125 bytes");
          if (buffer.size() < headerLength + length) return null;
          byte[] payload = unmask(maskAt, headerLength, (int) length);
          buffer = buffer.drop(headerLength + (int) length);
          return control(opcode, payload);
        }

        boolean starts = opcode == TEXT || opcode == BINARY;
        if (!starts && opcode != CONTINUATION) return violation(PROTOCOL_ERROR, "unknown opcode " + opcode);
        if (!starts && messageOpcode < 0) return violation(PROTOCOL_ERROR, "continuation frame without a message");
        if (starts && messageOpcode >= 0) return violation(PROTOCOL_ERROR, "new message before the last one ended");
        // state changes only once the frame is taken: a frame still incomplete is parsed again later
        int lengthSoFar = starts ? 0 : messageLength;
        boolean skip = starts ? opcode == BINARY : skipping;
        if (!skip && lengthSoFar + length > maxMessageBytes) skip = true;
        if (skip) {
          if (starts) messageOpcode = opcode;
          skipping = true;
          message = null;
          buffer = buffer.drop(headerLength);
          skipRemaining = length;
          skippedFrameFinal = fin;
          if (length == 0 && fin) return endMessage();
          continue;
        }
        if (buffer.size() < headerLength + length) return null;
        if (starts) {
          messageOpcode = opcode;
          messageLength = 0;
          message = null;
        }
        int n = (int) length;
        if (message == null || message.length < messageLength + n) {
          byte[] grown = new byte[messageLength + n];
          if (message != null) System.arraycopy(message, 0, grown, 0, messageLength);
          message = grown;
        }
        unmaskInto(maskAt, headerLength, n, message, messageLength);
        messageLength += n;
        buffer = buffer.drop(headerLength + n);
        if (fin) return endMessage();
      }
      return null;
    }

    private Event endMessage() {
      int opcode = messageOpcode;
      boolean skipped = skipping;
      byte[] bytes = message;
      int length = messageLength;
      messageOpcode = -1;
      message = null;
      messageLength = 0;
      skipping = false;
      skipRemaining = 0;
      if (opcode == BINARY) return new Binary();
      if (skipped) return new TooLarge();
      String text = utf8(bytes, length);
      return text == null ? violation(INVALID_PAYLOAD, "text message is not UTF-8") : new Text(text);
    }

    private Event control(int opcode, byte[] payload) {
      return switch (opcode) {
        case PING -> new Ping(ByteString.fromArrayUnsafe(payload));
        case PONG -> new Pong();
        default -> {
          if (payload.length == 0) yield new Close(NO_STATUS);
          if (payload.length == 1) yield violation(PROTOCOL_ERROR, "close frame with a one-byte payload");
          int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
          if (!validCloseCode(code)) yield violation(PROTOCOL_ERROR, "invalid close code " + code);
          if (utf8(java.util.Arrays.copyOfRange(payload, 2, payload.length), payload.length - 2) == null) {
            yield violation(INVALID_PAYLOAD, "close reason is not UTF-8");
          }
          yield new Close(code);
        }
      };
    }

    private Violation violation(int code, String reason) {
      failed = true;
      buffer = ByteString.emptyByteString();
      message = null;
      return new Violation(code, reason);
    }

    private byte[] unmask(int maskAt, int payloadAt, int length) {
      byte[] out = new byte[length];
      unmaskInto(maskAt, payloadAt, length, out, 0);
      return out;
    }

    private void unmaskInto(int maskAt, int payloadAt, int length, byte[] out, int offset) {
      byte[] mask = {buffer.apply(maskAt), buffer.apply(maskAt + 1), buffer.apply(maskAt + 2), buffer.apply(maskAt + 3)};
      buffer.slice(payloadAt, payloadAt + length).copyToArray(out, offset, length);
      for (int i = 0; i < length; i++) out[offset + i] ^= mask[i & 3];
    }
  }

  /** Close codes a peer may send (RFC 6455, 7.4): the defined ones, and 3000-4999 for libraries and apps. */
  static boolean validCloseCode(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  }

  /** Strict UTF-8: null for malformed input, where a lenient decoder would substitute characters. */
  static String utf8(byte[] bytes, int length) {
    if (length == 0) return "";
    boolean ascii = true;
    for (int i = 0; i < length && ascii; i++) ascii = bytes[i] >= 0;
    if (ascii) return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, length));
      return chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
