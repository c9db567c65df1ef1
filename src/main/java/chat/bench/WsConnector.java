package chat.bench;

import chat.gateway.WebSocketWire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Client WebSockets (RFC 6455) on plain NIO: a couple of selector threads serve every socket, frames
 * are written straight from the sending thread, and incoming text frames are handed to a callback one
 * at a time in arrival order, on the socket's selector thread.
 *
 * <p>Why not Pekko HTTP's client: the driver runs on the same two cores as the node it measures, and
 * a client WebSocket through Pekko HTTP cost the driver about as much CPU per frame as the node's own
 * socket does, so the driver took a third of the machine at the node's saturation point. This one
 * spends a few microseconds per frame and holds a few hundred bytes per idle socket.
 */
final class WsConnector implements AutoCloseable {

    /** Bytes one socket may have waiting to be written before sends are refused (a stalled server). */
    private static final int SEND_BUFFER_BYTES = 4 << 20;
    /** Upgrade responses are small; anything longer is not a WebSocket server. */
    private static final int MAX_HANDSHAKE_BYTES = 16 << 10;
    /** A text message assembled from fragments may not grow beyond this. */
    private static final int MAX_MESSAGE_BYTES = 16 << 20;

    private final InetSocketAddress server;
    private final String hostHeader;
    private final String pathPrefix;
    private final BenchOptions.Protocol protocol;
    private final SourceAddresses sources;
    private final Loop[] loops;
    private final AtomicInteger nextLoop = new AtomicInteger();

    /**
     * @param base   the server's base URL ({@code http://} only: the driver measures the node, not TLS)
     * @param host   host to connect to (an address literal when we spread source addresses,
     *               so the name cannot resolve to a family the sources do not match)
     */
    WsConnector(URI base, String host, SourceAddresses sources, BenchOptions.Protocol protocol) throws IOException {
        this.protocol = protocol;
        int port = base.getPort() > 0 ? base.getPort() : 80;
        this.server = new InetSocketAddress(host, port);
        this.hostHeader = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        this.pathPrefix = (path.endsWith("/") ? path.substring(0, path.length() - 1) : path) + "/ws";
        this.sources = sources;
        int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
        this.loops = new Loop[threads];
        for (int i = 0; i < threads; i++) {
            loops[i] = new Loop("bench-ws-" + i);
            loops[i].thread.start();
        }
    }

    /**
     * Starts connecting {@code user}. Frames go to {@code onFrame}; {@code onClosed} runs once when the
     * socket ends, with null or the failure. The returned stage completes when the upgrade answered
     * (exceptionally with a readable reason if it was refused).
     */
    CompletionStage<Void> connect(BenchUser user, Consumer<String> onFrame, BiConsumer<BenchUser, Throwable> onClosed) {
        Loop loop = loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
        Socket socket = new Socket(loop, user, onFrame, onClosed);
        user.outbox = socket;
        try {
            SocketChannel channel = SocketChannel.open();
            socket.channel = channel;
            channel.configureBlocking(false);
            channel.socket().setTcpNoDelay(true);
            InetSocketAddress local = sources.forConnection(user.index);
            if (local != null) {
                channel.bind(local);
            }
            channel.connect(server);
            loop.register(socket);
        } catch (IOException | RuntimeException e) {
            socket.end(e);
        }
        return socket.upgraded;
    }

    static String describe(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    /** Closes the socket with a close frame; the server's close (or its end of the connection) ends it. */
    static void close(BenchUser user) {
        if (user.outbox instanceof Socket s) {
            s.sendClose();
        }
    }

    @Override
    public void close() {
        for (Loop loop : loops) {
            loop.stop();
        }
    }

    private String upgradeRequest(String token, String key) {
        boolean xmpp = protocol == BenchOptions.Protocol.XMPP;
        return "GET " + pathPrefix + (xmpp ? "" : "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)) + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + (xmpp ? "Sec-WebSocket-Protocol: xmpp\r\n" : "") // RFC 7395
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
    }

    /** One selector thread and the sockets it serves. */
    private static final class Loop implements Runnable {
        final Thread thread;
        final Selector selector;
        /** Sockets to register, and sockets that want OP_WRITE, handed over from other threads. */
        final ConcurrentLinkedQueue<Socket> changes = new ConcurrentLinkedQueue<>();
        /** Shared by every socket of this loop: reads land here, leftovers are copied out. */
        final ByteBuffer readBuffer = ByteBuffer.allocate(256 << 10);
        volatile boolean running = true;

        Loop(String name) throws IOException {
            this.selector = Selector.open();
            this.thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        void register(Socket s) {
            changes.add(s);
            selector.wakeup();
        }

        void stop() {
            running = false;
            selector.wakeup();
        }

        @Override
        public void run() {
            while (running) {
                try {
                    selector.select();
                    for (Socket s; (s = changes.poll()) != null; ) {
                        s.applyInterest(selector);
                    }
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        ((Socket) key.attachment()).ready(key);
                    }
                } catch (IOException | RuntimeException e) {
                    // a selector failure would stop every socket of this loop: report and keep serving
                    System.err.println("bench: selector loop: " + describe(e));
                }
            }
            try {
                for (SelectionKey key : selector.keys()) {
                    key.channel().close();
                }
                selector.close();
            } catch (IOException ignored) {
                // shutting down
            }
        }
    }

    /** One client WebSocket. Reading happens on its loop's thread; writing on whichever thread sends. */
    private final class Socket implements BenchUser.Outbox {
        final Loop loop;
        final BenchUser user;
        final Consumer<String> onFrame;
        final BiConsumer<BenchUser, Throwable> onClosed;
        final CompletableFuture<Void> upgraded = new CompletableFuture<>();
        final AtomicBoolean ended = new AtomicBoolean();
        final String key;
        SocketChannel channel;
        SelectionKey selectionKey;

        // loop thread only
        /** Bytes of an incomplete handshake or frame, carried to the next read; null when none. */
        ByteBuffer leftover;
        /** A fragmented text message being assembled; null when none. */
        ByteArrayOutputStream fragments;

        // guarded by this
        /** Frames offered before the upgrade was answered: a client may not send them earlier. */
        final ArrayDeque<ByteBuffer> early = new ArrayDeque<>();
        final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
        int pendingBytes;
        boolean open;       // upgrade answered: frames may go out
        boolean closeSent;
        boolean wantWrite;

        Socket(Loop loop, BenchUser user, Consumer<String> onFrame, BiConsumer<BenchUser, Throwable> onClosed) {
            this.loop = loop;
            this.user = user;
            this.onFrame = onFrame;
            this.onClosed = onClosed;
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            this.key = Base64.getEncoder().encodeToString(nonce);
        }

        // ------------------------------------------------------------ writing (any thread)

        @Override
        public boolean offer(String frame) {
            return enqueue(OPCODE_TEXT, frame.getBytes(StandardCharsets.UTF_8), false);
        }

        void sendClose() {
            enqueue(OPCODE_CLOSE, new byte[] {0x03, (byte) 0xE8}, true); // 1000: normal closure
        }

        private synchronized boolean enqueue(int opcode, byte[] payload, boolean close) {
            if (closeSent || ended.get()) {
                return false;
            }
            if (close) {
                closeSent = true;
                if (!open) { // nothing was said yet: just hang up
                    end(null);
                    return true;
                }
            }
            ByteBuffer frame = maskedFrame(opcode, payload);
            if (pendingBytes + frame.remaining() > SEND_BUFFER_BYTES) {
                return false;
            }
            if (!open) {
                early.add(frame);
                pendingBytes += frame.remaining();
                return true;
            }
            return write(frame);
        }

        /** Writes now if nothing is queued ahead, else queues behind; the loop finishes what the socket refuses. */
        private boolean write(ByteBuffer frame) {
            if (pending.isEmpty()) {
                try {
                    channel.write(frame);
                } catch (IOException e) {
                    end(e);
                    return false;
                }
                if (!frame.hasRemaining()) {
                    return true;
                }
            }
            pending.add(frame);
            pendingBytes += frame.remaining();
            if (!wantWrite) {
                wantWrite = true;
                loop.register(this);
            }
            return true;
        }

        /** Loop thread: drains what could not be written at once. */
        private synchronized void flush() throws IOException {
            while (!pending.isEmpty()) {
                ByteBuffer head = pending.peekFirst();
                int before = head.remaining();
                channel.write(head);
                pendingBytes -= before - head.remaining();
                if (head.hasRemaining()) {
                    return;
                }
                pending.pollFirst();
            }
            wantWrite = false;
        }

        // ------------------------------------------------------------ loop thread

        synchronized void applyInterest(Selector selector) {
            if (ended.get()) {
                return;
            }
            try {
                if (selectionKey == null) {
                    selectionKey = channel.register(selector, SelectionKey.OP_CONNECT, this);
                    if (channel.isConnected()) { // loopback connects can finish at once
                        connected(selectionKey);
                    }
                } else if (selectionKey.isValid() && (selectionKey.interestOps() & SelectionKey.OP_CONNECT) == 0) {
                    selectionKey.interestOps(SelectionKey.OP_READ | (wantWrite ? SelectionKey.OP_WRITE : 0));
                }
            } catch (IOException e) {
                end(e);
            }
        }

        /** Sends the upgrade request once the TCP connection is up. */
        private synchronized void connected(SelectionKey key) throws IOException {
            ByteBuffer request = ByteBuffer.wrap(upgradeRequest(user.token, this.key).getBytes(StandardCharsets.US_ASCII));
            pending.add(request);
            pendingBytes += request.remaining();
            wantWrite = true;
            flush();
            key.interestOps(SelectionKey.OP_READ | (wantWrite ? SelectionKey.OP_WRITE : 0));
        }

        void ready(SelectionKey key) {
            try {
                if (!key.isValid()) {
                    return;
                }
                if (key.isConnectable()) {
                    if (channel.finishConnect()) {
                        connected(key);
                    }
                    return;
                }
                if (key.isWritable()) {
                    synchronized (this) {
                        flush();
                        if (!wantWrite) {
                            key.interestOps(SelectionKey.OP_READ);
                        }
                    }
                }
                if (key.isReadable()) {
                    read();
                }
            } catch (IOException | RuntimeException e) {
                end(e);
            }
        }

        private void read() throws IOException {
            ByteBuffer buffer;
            if (leftover != null) {
                buffer = leftover;
                leftover = null;
            } else {
                buffer = loop.readBuffer;
                buffer.clear();
            }
            int n = channel.read(buffer);
            if (n < 0) {
                end(closeSent ? null : new IOException("the server closed the connection"));
                return;
            }
            buffer.flip();
            if (!upgraded.isDone() && !handshake(buffer)) {
                if (!ended.get()) {
                    keep(buffer, 0); // the answer's head is not complete yet
                }
                return;
            }
            while (!ended.get()) {
                int need = frame(buffer);
                if (need > 0) {
                    keep(buffer, need);
                    return;
                }
                if (need == 0) {
                    return; // buffer fully consumed
                }
            }
        }

        /** Carries the unread rest of {@code buffer} over to the next read, with room for {@code need} more bytes. */
        private void keep(ByteBuffer buffer, int need) {
            int capacity = Math.max(buffer.remaining() + Math.max(need, 4096), 4096);
            if (capacity > MAX_MESSAGE_BYTES + 16) {
                throw new IllegalStateException("frame larger than " + MAX_MESSAGE_BYTES + " bytes");
            }
            ByteBuffer copy = ByteBuffer.allocate(capacity);
            copy.put(buffer);
            leftover = copy; // left in write mode: the next read appends
        }

        /** @return true once the upgrade answer has been read (and accepted) from {@code buffer} */
        private boolean handshake(ByteBuffer buffer) throws IOException {
            int end = headerEnd(buffer);
            if (end < 0) {
                if (buffer.remaining() > MAX_HANDSHAKE_BYTES) {
                    throw new IOException("no HTTP answer to the upgrade request");
                }
                return false;
            }
            String head = new String(buffer.array(), buffer.arrayOffset() + buffer.position(), end - buffer.position(),
                    StandardCharsets.ISO_8859_1);
            buffer.position(end);
            String statusLine = head.substring(0, Math.max(0, head.indexOf("\r\n")));
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[1].equals("101")) {
                String status = parts.length >= 2 ? parts[1] : "?";
                BenchFailure refused = new BenchFailure("upgrade refused: HTTP " + status);
                upgraded.completeExceptionally(refused);
                end(refused);
                return false;
            }
            String accept = header(head, "sec-websocket-accept");
            if (!WebSocketWire.acceptKey(key).equals(accept)) {
                throw new IOException("bad Sec-WebSocket-Accept in the upgrade answer");
            }
            synchronized (this) {
                open = true;
                pending.addAll(early);
                early.clear();
                if (!pending.isEmpty()) {
                    wantWrite = true;
                    flush();
                    if (wantWrite) {
                        selectionKey.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    }
                }
            }
            upgraded.complete(null);
            return true;
        }

        /**
         * Handles one frame from {@code buffer}.
         *
         * @return -1 when a frame was handled and more bytes remain, 0 when the buffer is empty,
         *         or the number of bytes still missing for the next frame
         */
        private int frame(ByteBuffer b) throws IOException {
            int start = b.position();
            int available = b.remaining();
            if (available == 0) {
                return 0;
            }
            if (available < 2) {
                return 2 - available;
            }
            int b0 = b.get(start) & 0xff;
            int b1 = b.get(start + 1) & 0xff;
            boolean fin = (b0 & 0x80) != 0;
            int opcode = b0 & 0x0f;
            boolean masked = (b1 & 0x80) != 0;
            long length = b1 & 0x7f;
            int header = 2;
            if (length == 126) {
                if (available < 4) {
                    return 4 - available;
                }
                length = b.getShort(start + 2) & 0xffff;
                header = 4;
            } else if (length == 127) {
                if (available < 10) {
                    return 10 - available;
                }
                length = b.getLong(start + 2);
                header = 10;
            }
            if (length < 0 || length > MAX_MESSAGE_BYTES) {
                throw new IOException("frame of " + length + " bytes");
            }
            int maskAt = start + header;
            if (masked) {
                header += 4;
            }
            long total = header + length;
            if (available < total) {
                return (int) (total - available);
            }
            int payloadAt = start + header;
            int len = (int) length;
            if (masked) { // servers must not mask, but unmasking costs nothing to support
                for (int i = 0; i < len; i++) {
                    b.put(payloadAt + i, (byte) (b.get(payloadAt + i) ^ b.get(maskAt + (i & 3))));
                }
            }
            b.position((int) (start + total));
            switch (opcode) {
                case OPCODE_TEXT, OPCODE_CONTINUATION -> text(b, payloadAt, len, fin, opcode == OPCODE_CONTINUATION);
                case OPCODE_PING -> {
                    byte[] data = new byte[len];
                    b.get(payloadAt, data);
                    synchronized (this) {
                        if (!closeSent && open) {
                            write(maskedFrame(OPCODE_PONG, data));
                        }
                    }
                }
                case OPCODE_CLOSE -> {
                    synchronized (this) {
                        if (!closeSent) {
                            closeSent = true;
                            write(maskedFrame(OPCODE_CLOSE, new byte[] {0x03, (byte) 0xE8}));
                        }
                    }
                    end(null);
                }
                default -> { } // binary frames and pongs: the protocol is text only
            }
            return b.hasRemaining() ? -1 : 0;
        }

        private void text(ByteBuffer b, int at, int len, boolean fin, boolean continuation) throws IOException {
            if (!continuation && fin && fragments == null) {
                deliver(new String(b.array(), b.arrayOffset() + at, len, StandardCharsets.UTF_8));
                return;
            }
            if (fragments == null) {
                fragments = new ByteArrayOutputStream();
            }
            fragments.write(b.array(), b.arrayOffset() + at, len);
            if (fragments.size() > MAX_MESSAGE_BYTES) {
                throw new IOException("message larger than " + MAX_MESSAGE_BYTES + " bytes");
            }
            if (fin) {
                String text = fragments.toString(StandardCharsets.UTF_8);
                fragments = null;
                deliver(text);
            }
        }

        private void deliver(String text) {
            if (!text.isEmpty()) {
                onFrame.accept(text);
            }
        }

        /** Ends the socket once: closes the channel and tells the run. */
        void end(Throwable failure) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
            if (!upgraded.isDone()) {
                upgraded.completeExceptionally(failure instanceof BenchFailure ? failure
                        : new BenchFailure(failure == null ? "closed before the upgrade" : describe(failure)));
            }
            onClosed.accept(user, failure);
        }
    }

    private static final int OPCODE_CONTINUATION = 0x0;
    private static final int OPCODE_TEXT = 0x1;
    private static final int OPCODE_CLOSE = 0x8;
    private static final int OPCODE_PING = 0x9;
    private static final int OPCODE_PONG = 0xA;

    /** A client frame: FIN set, payload masked with a fresh key as RFC 6455 requires of clients. */
    static ByteBuffer maskedFrame(int opcode, byte[] payload) {
        int len = payload.length;
        int header = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
        ByteBuffer frame = ByteBuffer.allocate(header + 4 + len);
        frame.put((byte) (0x80 | opcode));
        if (len < 126) {
            frame.put((byte) (0x80 | len));
        } else if (len <= 0xffff) {
            frame.put((byte) (0x80 | 126)).putShort((short) len);
        } else {
            frame.put((byte) (0x80 | 127)).putLong(len);
        }
        int mask = ThreadLocalRandom.current().nextInt();
        frame.putInt(mask);
        byte[] m = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
        for (int i = 0; i < len; i++) {
            frame.put((byte) (payload[i] ^ m[i & 3]));
        }
        return frame.flip();
    }

    /** Index just past the blank line ending the HTTP head in {@code b}, or -1. */
    private static int headerEnd(ByteBuffer b) {
        for (int i = b.position(); i + 3 < b.limit(); i++) {
            if (b.get(i) == '\r' && b.get(i + 1) == '\n' && b.get(i + 2) == '\r' && b.get(i + 3) == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    private static String header(String head, String lowerCaseName) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(lowerCaseName)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }
}
