package chat.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A Parley node in its own JVM (from this test class path), so tests can SIGKILL it. */
public final class ServerProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private ServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static ServerProcess start(Path dataDir, int port) throws IOException, InterruptedException {
    return start(dataDir, port, Map.of(), List.of());
  }

  /**
   * A node with extra settings (passed as -D, so they beat any config file) and extra command-line
   * arguments (for example {@code --config conf/cluster.conf}).
   */
  public static ServerProcess start(Path dataDir, int port, Map<String, String> settings, List<String> args)
      throws IOException, InterruptedException {
    return start(dataDir, port, List.of(), settings, args);
  }

  /** As above, with extra JVM options (for example to start faster when many nodes share few cores). */
  public static ServerProcess start(Path dataDir, int port, List<String> jvmOptions, Map<String, String> settings, List<String> args)
      throws IOException, InterruptedException {
    int chosen = port > 0 ? port : freePort();
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    TestServer.baseSettings().forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(List.of("chat.Main", "--port", Integer.toString(chosen), "--data-dir", dataDir.toString()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dataDir.resolve("server-" + System.nanoTime() + ".log").toFile()).start();
    ServerProcess server = new ServerProcess(p, chosen);
    server.awaitHealthy(Duration.ofSeconds(90));
    return server;
  }

  public int port() {
    return port;
  }

  private void awaitHealthy(Duration timeout) throws InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("server process exited with " + process.exitValue());
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new IllegalStateException("server not healthy within " + timeout);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGTERM: the node runs Coordinated Shutdown (a graceful leave in a cluster); waits for the exit. */
  public boolean terminate(Duration timeout) throws InterruptedException {
    requestStop();
    return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** SIGTERM without waiting: the node runs its graceful shutdown (a leave, in a cluster). */
  public void requestStop() {
    process.destroy();
  }

  /** SIGKILL: the JVM gets no chance to flush or shut down. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
