package chat.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.gateway.WebSocketWire.Event;
import chat.testing.ClientFrames;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 6455 framing as a client's bytes arrive: whole messages out, violations named, limits kept. */
class WebSocketWireTest {
  private static final int LIMIT = 1000;

  static byte[] clientFrame(boolean fin, int opcode, byte[] payload) {
    return ClientFrames.frame(fin, opcode, payload, true, 0);
  }

  static byte[] clientFrame(boolean fin, int opcode, byte[] payload, boolean masked, int reservedBits) {
    return ClientFrames.frame(fin, opcode, payload, masked, reservedBits);
  }

  static byte[] text(String s) {
    return clientFrame(true, WebSocketWire.TEXT, s.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  /** Feeds the bytes in chunks of the given size and collects every event. */
  static List<Event> decode(byte[] bytes, int chunk) {
    WebSocketWire.Decoder decoder = new WebSocketWire.Decoder(LIMIT);
    List<Event> events = new ArrayList<>();
    for (int at = 0; at < bytes.length; at += chunk) {
      decoder.feed(ByteString.fromArray(Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + chunk))));
      for (Event e = decoder.next(); e != null; e = decoder.next()) events.add(e);
    }
    return events;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 64, 100_000})
  void messagesComeOutWholeHoweverTheBytesAreCut(int chunk) {
    byte[] fragmented = concat(
        clientFrame(false, WebSocketWire.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8)),
        clientFrame(true, WebSocketWire.PING, new byte[] {7, 8}),
        clientFrame(false, WebSocketWire.CONTINUATION, "\"pi".getBytes(StandardCharsets.UTF_8)),
        clientFrame(true, WebSocketWire.CONTINUATION, "ng\"}".getBytes(StandardCharsets.UTF_8)));
    List<Event> events = decode(concat(text("first"), fragmented, text("é ✓ 𝄞"), text("")), chunk);

    assertEquals(5, events.size(), events.toString());
    assertEquals(new WebSocketWire.Text("first"), events.get(0));
    // a control frame may come between a message's fragments, and is answered before the message ends
    assertArrayEquals(new byte[] {7, 8}, assertInstanceOf(WebSocketWire.Ping.class, events.get(1)).payload().toArray());
    assertEquals(new WebSocketWire.Text("{\"type\":\"ping\"}"), events.get(2));
    assertEquals(new WebSocketWire.Text("é ✓ 𝄞"), events.get(3));
    assertEquals(new WebSocketWire.Text(""), events.get(4));
  }

  @Test
  void aCharacterSplitAcrossFragmentsIsDecodedWhole() {
    byte[] clef = "𝄞".getBytes(StandardCharsets.UTF_8); // four bytes
    List<Event> events = decode(concat(
        clientFrame(false, WebSocketWire.TEXT, Arrays.copyOfRange(clef, 0, 1)),
        clientFrame(true, WebSocketWire.CONTINUATION, Arrays.copyOfRange(clef, 1, 4))), 5);
    assertEquals(List.of(new WebSocketWire.Text("𝄞")), events);
  }

  @Test
  void lengthsInSixteenAndSixtyFourBitsAreRead() {
    WebSocketWire.Decoder decoder = new WebSocketWire.Decoder(200_000);
    String medium = "m".repeat(300);
    String large = "L".repeat(70_000);
    decoder.feed(ByteString.fromArray(concat(text(medium), text(large))));
    assertEquals(new WebSocketWire.Text(medium), decoder.next());
    assertEquals(new WebSocketWire.Text(large), decoder.next());
    assertNull(decoder.next());
    assertEquals(0, decoder.buffered());
  }

  @Test
  void aMessageOverTheLimitIsSkippedWithoutBeingBuffered() {
    WebSocketWire.Decoder decoder = new WebSocketWire.Decoder(LIMIT);
    byte[] big = concat(
        clientFrame(false, WebSocketWire.TEXT, "x".repeat(600).getBytes(StandardCharsets.UTF_8)),
        clientFrame(true, WebSocketWire.CONTINUATION, "y".repeat(60_000).getBytes(StandardCharsets.UTF_8)));
    byte[] stream = concat(big, text("after"));
    List<Event> events = new ArrayList<>();
    int mostBuffered = 0;
    for (int at = 0; at < stream.length; at += 512) {
      decoder.feed(ByteString.fromArray(Arrays.copyOfRange(stream, at, Math.min(stream.length, at + 512))));
      for (Event e = decoder.next(); e != null; e = decoder.next()) events.add(e);
      mostBuffered = Math.max(mostBuffered, decoder.buffered());
    }
    assertEquals(List.of(new WebSocketWire.TooLarge(), new WebSocketWire.Text("after")), events);
    assertTrue(mostBuffered <= LIMIT + 14, "held " + mostBuffered + " bytes of a message over the limit");
  }

  @Test
  void aMessageOfExactlyTheLimitIsAccepted() {
    String exact = "z".repeat(LIMIT);
    assertEquals(List.of(new WebSocketWire.Text(exact), new WebSocketWire.TooLarge()),
        decode(concat(text(exact), text(exact + "!")), 4096));
  }

  @Test
  void binaryMessagesAreReportedButNotKept() {
    byte[] binary = concat(
        clientFrame(false, WebSocketWire.BINARY, new byte[] {1, 2, 3}),
        clientFrame(true, WebSocketWire.CONTINUATION, new byte[] {4}));
    assertEquals(List.of(new WebSocketWire.Binary(), new WebSocketWire.Text("next")), decode(concat(binary, text("next")), 3));
  }

  @Test
  void closeFramesCarryTheirCode() {
    assertEquals(List.of(new WebSocketWire.Close(1005)), decode(clientFrame(true, WebSocketWire.CLOSE, new byte[0]), 10));
    byte[] withReason = concat(new byte[] {0x03, (byte) 0xE8}, "bye".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(new WebSocketWire.Close(1000)), decode(clientFrame(true, WebSocketWire.CLOSE, withReason), 10));
    assertEquals(List.of(new WebSocketWire.Close(4321)), decode(clientFrame(true, WebSocketWire.CLOSE, new byte[] {0x10, (byte) 0xE1}), 10));
    assertEquals(List.of(new WebSocketWire.Pong()), decode(clientFrame(true, WebSocketWire.PONG, new byte[] {1}), 10));
  }

  static int violation(byte[] bytes) {
    List<Event> events = decode(concat(bytes, text("never read")), 1);
    assertEquals(1, events.size(), "nothing after a violation: " + events);
    return assertInstanceOf(WebSocketWire.Violation.class, events.get(0)).code();
  }

  @Test
  void protocolViolationsCloseWithTheRightCode() {
    byte[] hi = "hi".getBytes(StandardCharsets.UTF_8);
    assertEquals(1002, violation(clientFrame(true, WebSocketWire.TEXT, hi, false, 0)), "unmasked");
    assertEquals(1002, violation(clientFrame(true, WebSocketWire.TEXT, hi, true, 0x40)), "reserved bit");
    assertEquals(1002, violation(clientFrame(true, WebSocketWire.CONTINUATION, hi)), "continuation first");
    assertEquals(1002, violation(concat(clientFrame(false, WebSocketWire.TEXT, hi), text("again"))), "message inside a message");
    assertEquals(1002, violation(clientFrame(true, 0x3, hi)), "reserved data opcode");
    assertEquals(1002, violation(clientFrame(true, 0xB, hi)), "reserved control opcode");
    assertEquals(1002, violation(clientFrame(false, WebSocketWire.PING, hi)), "fragmented control frame");
    assertEquals(1002, violation(clientFrame(true, WebSocketWire.PING, new byte[126])), "control frame over 125 bytes");
    assertEquals(1002, violation(clientFrame(true, WebSocketWire.CLOSE, new byte[] {3})), "one-byte close payload");
    assertEquals(1002, violation(clientFrame(true, WebSocketWire.CLOSE, new byte[] {0x03, (byte) 0xE7})), "close code 999");
    assertEquals(1007, violation(clientFrame(true, WebSocketWire.TEXT, new byte[] {'a', (byte) 0xC3})), "truncated UTF-8");
    assertEquals(1007, violation(clientFrame(true, WebSocketWire.TEXT, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})), "surrogate");
    assertEquals(1007, violation(clientFrame(true, WebSocketWire.CLOSE, new byte[] {0x03, (byte) 0xE8, (byte) 0xFF})), "close reason");
  }

  @Test
  void randomUnicodeSurvivesAnyCut() {
    SplittableRandom random = new SplittableRandom(42);
    for (int round = 0; round < 200; round++) {
      StringBuilder sb = new StringBuilder();
      int length = random.nextInt(0, 120);
      while (sb.length() < length) sb.appendCodePoint(random.nextInt(4) == 0 ? random.nextInt(0x20, 0x7F) : randomCodePoint(random));
      String s = sb.toString();
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      if (bytes.length > LIMIT) continue;
      int cut = random.nextInt(0, bytes.length + 1);
      byte[] frames = concat(
          clientFrame(false, WebSocketWire.TEXT, Arrays.copyOfRange(bytes, 0, cut)),
          clientFrame(true, WebSocketWire.CONTINUATION, Arrays.copyOfRange(bytes, cut, bytes.length)));
      assertEquals(List.of(new WebSocketWire.Text(s)), decode(frames, random.nextInt(1, 40)));
    }
  }

  private static int randomCodePoint(SplittableRandom random) {
    while (true) {
      int cp = random.nextInt(0x80, 0x110000);
      if (cp < 0xD800 || cp > 0xDFFF) return cp;
    }
  }

  /** Parses one server frame: FIN set, never masked, opcode and payload. */
  static Object[] serverFrame(ByteString frame) {
    byte[] b = frame.toArray();
    assertEquals(0x80, b[0] & 0xF0, "FIN set, no reserved bits");
    assertEquals(0, b[1] & 0x80, "server frames are not masked");
    int length = b[1] & 0x7F, at = 2;
    if (length == 126) {
      length = ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
      at = 4;
    } else if (length == 127) {
      long l = 0;
      for (int i = 0; i < 8; i++) l = (l << 8) | (b[2 + i] & 0xFF);
      length = (int) l;
      at = 10;
    }
    assertEquals(at + length, b.length, "one frame, nothing after it");
    return new Object[] {b[0] & 0x0F, Arrays.copyOfRange(b, at, b.length)};
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 125, 126, 65_535, 65_536, 200_000})
  void serverTextFramesUseTheShortestLength(int length) {
    String s = "a".repeat(length);
    ByteString frame = WebSocketWire.text(s);
    int header = length <= 125 ? 2 : length <= 65_535 ? 4 : 10;
    assertEquals(header + length, frame.size());
    Object[] parsed = serverFrame(frame);
    assertEquals(WebSocketWire.TEXT, parsed[0]);
    assertEquals(s, new String((byte[]) parsed[1], StandardCharsets.UTF_8));
  }

  @Test
  void controlFramesFromTheServer() {
    Object[] close = serverFrame(WebSocketWire.close(1009));
    assertEquals(WebSocketWire.CLOSE, close[0]);
    assertArrayEquals(new byte[] {0x03, (byte) 0xF1}, (byte[]) close[1]);
    assertArrayEquals(new byte[0], (byte[]) serverFrame(WebSocketWire.close(1005))[1], "no status: empty close");
    Object[] pong = serverFrame(WebSocketWire.pong(ByteString.fromArray(new byte[] {9, 9})));
    assertEquals(WebSocketWire.PONG, pong[0]);
    assertArrayEquals(new byte[] {9, 9}, (byte[]) pong[1]);
    assertEquals(WebSocketWire.PING, serverFrame(WebSocketWire.ping())[0]);
  }

  @Test
  void acceptKeyIsTheRfcExample() {
    assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketWire.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
  }
}
