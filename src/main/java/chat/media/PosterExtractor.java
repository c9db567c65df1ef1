package chat.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Grabs a video's first frame with an external decoder ({@code ffmpeg}) when the machine has one. Availability
 * is probed once; without a decoder, uploads still succeed and say "no poster".
 */
final class PosterExtractor {
  static final String NO_DECODER = "no video frame decoder on this node (install ffmpeg or set parley.media.poster.ffmpeg)";
  static final String DECODE_FAILED = "the video frame decoder could not extract a frame";

  private final String command;
  private final Duration timeout;
  private volatile Boolean available;

  PosterExtractor(String command, Duration timeout) {
    this.command = command;
    this.timeout = timeout;
  }

  boolean available() {
    Boolean known = available;
    if (known == null) {
      known = !command.isBlank() && run(List.of(command, "-hide_banner", "-version"), Duration.ofSeconds(10));
      available = known;
    }
    return known;
  }

  /** The first frame as an image file (the caller rescales and deletes it), or empty. */
  Optional<Path> firstFrame(Path video, Path workDir) throws IOException {
    if (!available()) return Optional.empty();
    Path frame = Files.createTempFile(workDir, "poster", ".png");
    boolean ok = run(List.of(command, "-nostdin", "-v", "error", "-y", "-i", video.toString(),
        "-frames:v", "1", "-f", "image2", "-c:v", "png", frame.toString()), timeout);
    if (ok && Files.size(frame) > 0) return Optional.of(frame);
    Files.deleteIfExists(frame);
    return Optional.empty();
  }

  private static boolean run(List<String> argv, Duration timeout) {
    try {
      Process process = new ProcessBuilder(argv).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException notInstalled) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
