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

/** A Parley node in its own JVM (from this test class path), so tests can SIGKILL it. */
public final class ServerProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private ServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static ServerProcess start(Path dataDir, int port) throws IOException, InterruptedException {
    int chosen = port > 0 ? port : freePort();
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path")));
    TestServer.baseSettings().forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(List.of("chat.Main", "--port", Integer.toString(chosen), "--data-dir", dataDir.toString()));
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

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
