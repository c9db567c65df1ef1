package chat.cluster;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The WebSocket connections open on a node, so a leaving node can tell every client to reconnect
 * elsewhere before its shards move, and refuse new ones. One registry per actor system (tests run
 * several nodes in one JVM).
 */
public final class LiveSockets {
  /**
   * Keyed by the classic system, which compares by identity: typed systems compare by their root
   * path, so two nodes named alike in one JVM (tests) would otherwise share one registry.
   */
  private static final Map<org.apache.pekko.actor.ActorSystem, LiveSockets> BY_SYSTEM = new ConcurrentHashMap<>();

  private final Set<ActorRef<?>> open = ConcurrentHashMap.newKeySet();
  private volatile boolean leaving;
  private volatile Object closeMessage;

  private LiveSockets() {}

  public static LiveSockets of(ActorSystem<?> system) {
    return BY_SYSTEM.computeIfAbsent(system.classicSystem(), s -> {
      system.getWhenTerminated().thenRun(() -> BY_SYSTEM.remove(s));
      return new LiveSockets();
    });
  }

  /** A socket's actor; it will receive {@code closeMessage} (its own "close for restart" message) on leave. */
  public <T> void register(ActorRef<T> socket, T closeMessage) {
    this.closeMessage = closeMessage;
    open.add(socket);
    if (leaving) tell(socket, closeMessage);
  }

  public void unregister(ActorRef<?> socket) {
    open.remove(socket);
  }

  public boolean leaving() {
    return leaving;
  }

  public int size() {
    return open.size();
  }

  /** From now on this node takes no new sockets (the open ones stay until {@link #closeAllForLeave}). */
  public void refuseNew() {
    leaving = true;
  }

  /** From now on this node takes no new sockets, and every open one is asked to close. */
  public int closeAllForLeave() {
    leaving = true;
    Object message = closeMessage;
    int n = 0;
    if (message == null) return 0;
    for (ActorRef<?> socket : open) {
      tell(socket, message);
      n++;
    }
    return n;
  }

  @SuppressWarnings("unchecked")
  private static void tell(ActorRef<?> socket, Object message) {
    ((ActorRef<Object>) socket).tell(message);
  }
}
