package chat.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The driver's WebSocket client against a hand-written server on a real socket, frame by frame, so
 * the cases a Pekko server never produces in the driver tests (fragments, long lengths, pings, a
 * server close) are exercised too.
 */
class WsConnectorTest {

    @Test
    void framesArriveWholeAndInOrderAndTheClientMasksWhatItSends() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             WsConnector connector = connector(listener)) {
            List<String> frames = new CopyOnWriteArrayList<>();
            CompletableFuture<Throwable> closed = new CompletableFuture<>();
            BenchUser user = new BenchUser(0, "u", "tok en");
            CompletableFuture<Void> upgraded = connector.connect(user, frames::add, (u, failure) -> closed.complete(failure))
                    .toCompletableFuture();

            try (Socket server = listener.accept()) {
                server.setSoTimeout(10_000);
                InputStream in = server.getInputStream();
                OutputStream out = server.getOutputStream();
                String request = readHead(in);
                assertTrue(request.startsWith("GET /ws?token=tok+en HTTP/1.1\r\n"), request);
                String key = request.lines().filter(l -> l.startsWith("Sec-WebSocket-Key: ")).findFirst().orElseThrow().substring(19);
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + chat.gateway.WebSocketWire.acceptKey(key) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                upgraded.get(10, TimeUnit.SECONDS);

                String big = "x".repeat(70_000); // a 64-bit length
                String medium = "m".repeat(300); // a 16-bit length
                out.write(frame(false, 0x1, "hel".getBytes(StandardCharsets.UTF_8)));
                out.write(frame(false, 0x0, "lo ".getBytes(StandardCharsets.UTF_8)));
                out.write(frame(true, 0x9, new byte[] {7, 8})); // a ping between fragments
                out.write(frame(true, 0x0, "wörld".getBytes(StandardCharsets.UTF_8)));
                out.write(frame(true, 0x1, medium.getBytes(StandardCharsets.UTF_8)));
                out.write(frame(true, 0x1, big.getBytes(StandardCharsets.UTF_8)));
                out.flush();

                DataInputStream clientFrames = new DataInputStream(in);
                ClientFrame pong = readClientFrame(clientFrames);
                assertEquals(0xA, pong.opcode);
                assertArrayEquals(new byte[] {7, 8}, pong.payload);

                assertTrue(user.outbox.offer("{\"type\":\"ping\"}"));
                ClientFrame text = readClientFrame(clientFrames);
                assertEquals(0x1, text.opcode);
                assertEquals("{\"type\":\"ping\"}", new String(text.payload, StandardCharsets.UTF_8));

                out.write(frame(true, 0x8, new byte[] {0x03, (byte) 0xE8}));
                out.flush();
                assertEquals(0x8, readClientFrame(clientFrames).opcode, "the client answers a close");
                assertNull(closed.get(10, TimeUnit.SECONDS), "a server close is a normal end");
                assertEquals(List.of("hello wörld", medium, big), frames);
                assertTrue(!user.outbox.offer("late"), "nothing is sent after the close");
            }
        }
    }

    @Test
    void aRefusedUpgradeFailsWithItsStatus() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             WsConnector connector = connector(listener)) {
            CompletableFuture<Throwable> closed = new CompletableFuture<>();
            CompletableFuture<Void> upgraded = connector.connect(new BenchUser(0, "u", "bad"), f -> { },
                    (u, failure) -> closed.complete(failure)).toCompletableFuture();
            try (Socket server = listener.accept()) {
                readHead(server.getInputStream());
                server.getOutputStream().write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                ExecutionException e = assertThrows(ExecutionException.class, () -> upgraded.get(10, TimeUnit.SECONDS));
                assertEquals("upgrade refused: HTTP 401", e.getCause().getMessage());
                assertTrue(closed.get(10, TimeUnit.SECONDS) != null);
            }
        }
    }

    private static WsConnector connector(ServerSocket listener) throws IOException {
        return new WsConnector(URI.create("http://127.0.0.1:" + listener.getLocalPort()), "127.0.0.1",
                SourceAddresses.plan(InetAddress.getLoopbackAddress(), 0), BenchOptions.Protocol.PARLEY);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("eof in the request head");
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** A server frame: never masked. */
    private static byte[] frame(boolean fin, int opcode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | opcode);
        int len = payload.length;
        if (len < 126) {
            f.write(len);
        } else if (len <= 0xffff) {
            f.write(126);
            f.write(len >>> 8);
            f.write(len & 0xff);
        } else {
            f.write(127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                f.write((int) ((long) len >>> shift) & 0xff);
            }
        }
        f.writeBytes(payload);
        return f.toByteArray();
    }

    private record ClientFrame(int opcode, byte[] payload) {
    }

    private static ClientFrame readClientFrame(DataInputStream in) throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        assertTrue((b0 & 0x80) != 0, "client frames are final");
        assertTrue((b1 & 0x80) != 0, "client frames are masked");
        int len = b1 & 0x7f;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = (int) in.readLong();
        }
        byte[] mask = in.readNBytes(4);
        byte[] payload = in.readNBytes(len);
        for (int i = 0; i < len; i++) {
            payload[i] ^= mask[i & 3];
        }
        return new ClientFrame(b0 & 0x0f, payload);
    }
}
