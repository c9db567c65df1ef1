package chat.web;

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
import java.util.concurrent.TimeUnit;

/**
 * A Parley node in its own JVM, started like an operator would (chat.Main with --port and
 * --data-dir) so the browser talks to the real thing over real sockets. Restarting keeps the
 * port and the data directory, as a real restart does.
 *
 * <p>{@code -Dparley.testJar=/path/parley.jar} puts a built jar's classes before the test class
 * path (to try a server build that is not on this branch yet, still serving this branch's client), and
 * {@code -Dparley.testServerCommand="cmd args"} any other server speaking PROTOCOL.md; both get
 * {@code --port} and {@code --data-dir} appended.
 */
final class ServerUnderTest implements AutoCloseable {
  private static final Duration STARTUP_LIMIT = Duration.ofSeconds(180);

  private final int port;
  private final Path dataDir;
  private final Path logFile;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private int starts;

  ServerUnderTest(Path workDir) throws IOException {
    this.port = freePort();
    this.dataDir = workDir.resolve("data");
    this.logFile = workDir.resolve("server.log");
  }

  int port() {
    return port;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  Path logFile() {
    return logFile;
  }

  void start() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    String custom = System.getProperty("parley.testServerCommand");
    if (custom != null && !custom.isBlank()) {
      command.addAll(List.of(custom.trim().split("\\s+")));
      command.addAll(List.of("--port", String.valueOf(port), "--data-dir", dataDir.toString()));
      launch(command);
      return;
    }
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx512m");
    command.add("-Dparley.auth.password-iterations=1000");
    String jar = System.getProperty("parley.testJar");
    String classPath = System.getProperty("java.class.path");
    // The jar's classes come first; this branch's client (web/ in target/classes) is found after them.
    if (jar != null && !jar.isBlank()) classPath = jar + java.io.File.pathSeparator + classPath;
    command.add("-cp");
    command.add(classPath);
    command.add("chat.Main");
    command.addAll(List.of("--port", String.valueOf(port), "--data-dir", dataDir.toString()));
    launch(command);
  }

  private void launch(List<String> command) throws IOException, InterruptedException {
    starts++;
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
    Process started = process;
    // even when the test JVM is torn down abruptly, no server is left running
    Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
    awaitHealthy();
  }

  void stop() throws InterruptedException {
    if (process == null) return;
    long began = System.nanoTime();
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    process = null;
    System.out.printf("server stopped in %d ms%n", (System.nanoTime() - began) / 1_000_000);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private void awaitHealthy() throws InterruptedException {
    long began = System.nanoTime();
    long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
    HttpRequest health = HttpRequest.newBuilder(URI.create(baseUrl() + "/api/v1/health"))
        .timeout(Duration.ofSeconds(2)).build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("server exited with " + process.exitValue() + " (start " + starts + "):\n" + logTail());
      }
      try {
        if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          System.out.printf("server healthy after %d ms (start %d)%n", (System.nanoTime() - began) / 1_000_000, starts);
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("server not healthy after " + STARTUP_LIMIT + ":\n" + logTail());
  }

  /** The end of the server's output, for failure messages (the temp dir is gone afterwards). */
  String logTail() {
    try {
      List<String> lines = java.nio.file.Files.readAllLines(logFile);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no server log: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
