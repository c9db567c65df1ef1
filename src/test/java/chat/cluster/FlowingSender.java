package chat.cluster;

import chat.testing.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A client that keeps sending messages, one at a time, like a well-behaved app: it waits for each
 * `ack`; when its socket closes or an ack is late it reconnects to a live node and resends the same
 * client id (idempotent). What it records is exactly what the user was told is sent.
 */
final class FlowingSender implements AutoCloseable {
  private final String token;
  private final String to;
  private final String prefix;
  private final Supplier<List<Integer>> ports;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean aborted = new AtomicBoolean();
  private final List<String> ackedMsgIds = new CopyOnWriteArrayList<>();
  private final List<Long> ackTimes = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile Throwable failure;
  private volatile int reconnects;
  private WsClient socket;
  private int nextNode;

  /** ports: the HTTP ports to (re)connect to, in turn (live nodes, or one load balancer). */
  FlowingSender(String token, String to, String prefix, Supplier<List<Integer>> ports) {
    this.token = token;
    this.to = to;
    this.prefix = prefix;
    this.ports = ports;
    this.thread = new Thread(this::run, "flowing-sender-" + prefix);
    thread.start();
  }

  private void run() {
    try {
      int i = 0;
      while (running.get()) {
        String id = prefix + "-" + i;
        JsonNode ack = null;
        while (ack == null) {
          if (aborted.get()) return;
          try {
            if (socket == null || socket.isClosed()) connect();
            socket.sendText(id, to, id);
            ack = socket.await(f -> "ack".equals(f.path("type").asText()) && id.equals(f.path("id").asText()), Duration.ofSeconds(10));
          } catch (Throwable lateOrClosed) {
            dropSocket();
            Thread.sleep(100);
          }
        }
        ackedMsgIds.add(ack.get("msgId").asText());
        ackTimes.add(System.nanoTime());
        i++;
        Thread.sleep(20);
      }
    } catch (Throwable t) {
      failure = t;
    } finally {
      dropSocket();
    }
  }

  private void connect() {
    List<Integer> candidates = ports.get();
    socket = WsClient.connect(candidates.get(Math.floorMod(nextNode++, candidates.size())), token);
    socket.awaitType("hello");
    reconnects++;
  }

  private void dropSocket() {
    if (socket != null) {
      try {
        socket.close();
      } catch (Throwable ignored) {
        // already gone
      }
      socket = null;
    }
  }

  int acked() {
    return ackedMsgIds.size();
  }

  /** Waits until at least n more messages are acked than now. */
  void awaitMore(int n, Duration timeout) throws InterruptedException {
    int target = acked() + n;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (acked() < target) {
      if (failure != null) throw new AssertionError("sender failed", failure);
      if (System.nanoTime() > deadline) throw new AssertionError("only " + acked() + " of " + target + " acked within " + timeout);
      Thread.sleep(20);
    }
  }

  /** Nanotime of the first ack after the given instant (or -1). */
  long firstAckAfter(long nanos) {
    for (Long t : ackTimes) if (t > nanos) return t;
    return -1;
  }

  int reconnects() {
    return reconnects;
  }

  /** Stops after the message in flight is acked; returns every acked msgId in send order. */
  List<String> stop() throws InterruptedException {
    running.set(false);
    thread.join(60_000);
    if (thread.isAlive()) throw new AssertionError("sender did not finish its last message within 60 s");
    if (failure != null) throw new AssertionError("sender failed", failure);
    return new ArrayList<>(ackedMsgIds);
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    aborted.set(true);
    thread.join(15_000);
  }
}
