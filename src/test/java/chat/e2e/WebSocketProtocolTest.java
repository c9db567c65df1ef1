package chat.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chat.json.Json;
import chat.testing.ClientFrames;
import chat.testing.Rest;
import chat.testing.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket protocol itself (RFC 6455) as a client on a plain TCP socket sees it: the handshake,
 * fragmented messages, ping and pong, the server's keep-alive, limits, and both ways of closing.
 */
class WebSocketProtocolTest {
  static TestServer server;
  static Rest rest;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Files.createTempDirectory("parley-ws"), 0,
        Map.of("parley.ws.keep-alive", "1s", "parley.ws.max-frame-bytes", 4096));
    rest = server.rest();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A WebSocket client written against the RFC: masked frames out, frames read back one by one. */
  static final class RawSocket implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;
    final String handshake;

    RawSocket(String token) throws IOException {
      this(server.port(), token);
    }

    RawSocket(int port, String token) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(10_000);
      in = new DataInputStream(socket.getInputStream());
      out = socket.getOutputStream();
      out.write(("GET /ws?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      handshake = readHead(in);
      assertTrue(handshake.startsWith("HTTP/1.1 101 "), handshake);
    }

    static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) throw new EOFException("connection closed in the handshake: " + head);
        head.write(b);
      }
      return head.toString(StandardCharsets.US_ASCII);
    }

    void frame(boolean fin, int opcode, byte[] payload, boolean masked) throws IOException {
      out.write(ClientFrames.frame(fin, opcode, payload, masked, 0));
      out.flush();
    }

    void text(String s) throws IOException {
      frame(true, 0x1, s.getBytes(StandardCharsets.UTF_8), true);
    }

    /** The next frame: {opcode, payload}. Server frames must be whole and unmasked. */
    Object[] read() throws IOException {
      int b0 = in.readUnsignedByte(), b1 = in.readUnsignedByte();
      assertEquals(0x80, b0 & 0xF0, "server frames are whole, no reserved bits");
      assertEquals(0, b1 & 0x80, "server frames are not masked");
      int length = b1 & 0x7F;
      if (length == 126) length = in.readUnsignedShort();
      else if (length == 127) length = (int) in.readLong();
      byte[] payload = new byte[length];
      in.readFully(payload);
      return new Object[] {b0 & 0x0F, payload};
    }

    /** The next text frame's JSON, answering nothing and skipping pings. */
    JsonNode json() throws IOException {
      while (true) {
        Object[] f = read();
        if ((int) f[0] == 0x9) continue;
        assertEquals(0x1, f[0], "a text frame");
        return Json.MAPPER.readTree((byte[]) f[1]);
      }
    }

    JsonNode awaitType(String type) throws IOException {
      while (true) {
        JsonNode frame = json();
        if (type.equals(frame.path("type").asText())) return frame;
      }
    }

    /** The payload of the server's close frame, skipping what comes before it. */
    byte[] awaitClose() throws IOException {
      while (true) {
        Object[] f = read();
        if ((int) f[0] == 0x8) return (byte[]) f[1];
      }
    }

    /** True when the server closed the TCP connection (after whatever it still sent). */
    boolean tcpClosed() throws IOException {
      try {
        while (true) if (in.read() < 0) return true;
      } catch (SocketTimeoutException e) {
        return false;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void handshakeAnswersTheKeyAndHelloIsTheFirstFrame() throws Exception {
    try (RawSocket ws = new RawSocket(rest.login("wshand"))) {
      assertTrue(ws.handshake.startsWith("HTTP/1.1 101 "), ws.handshake);
      assertTrue(ws.handshake.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), ws.handshake);
      assertEquals("hello", ws.json().get("type").asText());
    }
  }

  @Test
  void aFragmentedMessageWithAPingInsideIsOneSendAndThePingIsAnswered() throws Exception {
    String alice = rest.login("wsfraga");
    rest.login("wsfragb");
    try (RawSocket ws = new RawSocket(alice)) {
      ws.awaitType("hello");
      byte[] send = "{\"type\":\"send\",\"id\":\"f1\",\"to\":\"user:wsfragb\",\"body\":{\"text\":\"in pieces ✓\"}}"
          .getBytes(StandardCharsets.UTF_8);
      ws.frame(false, 0x1, java.util.Arrays.copyOfRange(send, 0, 20), true);
      ws.frame(true, 0x9, new byte[] {4, 2}, true);
      ws.frame(true, 0x0, java.util.Arrays.copyOfRange(send, 20, send.length), true);

      Object[] pong = ws.read();
      assertEquals(0xA, pong[0], "the ping is answered first, mid-message");
      assertArrayEquals(new byte[] {4, 2}, (byte[]) pong[1]);
      assertEquals("f1", ws.awaitType("ack").get("id").asText());
    }
    Rest.Response stream = rest.call("GET", "/api/v1/updates?after=0", rest.login("wsfragb"), null);
    assertEquals("in pieces ✓", stream.body().at("/updates/0/body/text").asText());
  }

  @Test
  void anIdleSocketGetsTheServersPing() throws Exception {
    try (RawSocket ws = new RawSocket(rest.login("wsidle"))) {
      ws.awaitType("hello");
      // nothing else is sent to a socket that says nothing (keep-alive is 1 s here, the read waits 10 s)
      assertEquals(0x9, ws.read()[0], "keep-alive ping");
    }
  }

  @Test
  void aMessageOverTheLimitGetsTooLargeAcrossFragmentsAndTheSocketStays() throws Exception {
    String alice = rest.login("wsbiga");
    rest.login("wsbigb");
    try (RawSocket ws = new RawSocket(alice)) {
      ws.awaitType("hello");
      byte[] chunk = "x".repeat(3000).getBytes(StandardCharsets.UTF_8);
      ws.frame(false, 0x1, "{\"type\":\"send\",\"id\":\"big\",\"to\":\"user:wsbigb\",\"body\":{\"text\":\"".getBytes(StandardCharsets.UTF_8), true);
      ws.frame(false, 0x0, chunk, true);
      ws.frame(true, 0x0, chunk, true);
      assertEquals("too_large", ws.awaitType("error").get("code").asText());
      ws.text("{\"type\":\"send\",\"id\":\"small\",\"to\":\"user:wsbigb\",\"body\":{\"text\":\"fits\"}}");
      assertEquals("small", ws.awaitType("ack").get("id").asText());
    }
    Rest.Response stream = rest.call("GET", "/api/v1/updates?after=0", rest.login("wsbigb"), null);
    assertEquals(1, stream.body().get("lastSeq").asLong(), "nothing of the large message was stored");
  }

  @Test
  void theClientsCloseIsEchoedAndTheConnectionEnds() throws Exception {
    try (RawSocket ws = new RawSocket(rest.login("wsclose"))) {
      ws.awaitType("hello");
      ws.frame(true, 0x8, new byte[] {0x0F, (byte) 0xA0, 'o', 'k'}, true); // 4000 "ok"
      assertArrayEquals(new byte[] {0x0F, (byte) 0xA0}, ws.awaitClose(), "the client's code comes back");
      assertTrue(ws.tcpClosed());
    }
  }

  @Test
  void anUnmaskedFrameIsAProtocolErrorAndClosesWith1002() throws Exception {
    try (RawSocket ws = new RawSocket(rest.login("wsbad"))) {
      ws.awaitType("hello");
      ws.frame(true, 0x1, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8), false);
      assertArrayEquals(new byte[] {0x03, (byte) 0xEA}, ws.awaitClose());
      assertTrue(ws.tcpClosed());
    }
  }

  @Test
  void aLeavingNodeClosesWith1012AndEndsTheConnectionEvenWithoutTheClientsReply() throws Exception {
    try (TestServer leaving = TestServer.start(Files.createTempDirectory("parley-ws-leave"), 0, Map.of());
         RawSocket ws = new RawSocket(leaving.port(), leaving.rest().login("wsleave"))) {
      ws.awaitType("hello");
      assertEquals(1, chat.cluster.LiveSockets.of(leaving.server().system()).closeAllForLeave());
      assertArrayEquals(new byte[] {0x03, (byte) 0xF4}, ws.awaitClose(), "1012, service restart: reconnect elsewhere");
      // the client never answers: the server gives up waiting for its close and drops the connection
      assertTrue(ws.tcpClosed());
    }
  }

  @Test
  void aClientThatStopsReadingIsDroppedWhenItsQueueOverflowsAndCannotBeWrittenOut() throws Exception {
    try (TestServer slow = TestServer.start(Files.createTempDirectory("parley-ws-stuck"), 0, Map.of(
        "parley.ws.outbound-buffer", 64, "parley.limits.frames-per-second", 100_000, "parley.limits.frames-burst", 100_000))) {
      Rest slowRest = slow.rest();
      String flooder = slowRest.login("wsflood");
      try (RawSocket stuck = new RawSocket(slow.port(), slowRest.login("wsstuck"));
           chat.testing.WsClient flood = slow.connect(flooder)) {
        stuck.awaitType("hello");
        flood.awaitType("hello");
        // far more than the kernel's socket buffers hold while the client reads nothing
        String text = "y".repeat(16_000);
        for (int i = 0; i < 1000; i++) {
          flood.sendText("s" + i, "user:wsstuck", text);
          if (i % 50 == 49) flood.awaitType("ack");
        }
        Thread.sleep(13_000); // past the server's 10 s to write out what it queued before closing
        // now read everything: the connection ends without the close frame the server never got out
        stuck.socket.setSoTimeout(20_000);
        int lastOpcode = -1;
        try {
          while (true) lastOpcode = (int) stuck.read()[0];
        } catch (EOFException | java.net.SocketException end) {
          // the server dropped the connection
        }
        assertEquals(0x1, lastOpcode, "the stream ended mid-queue, not with a close frame");
      }
    }
  }
}
