package chat.media;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** A byte range of a file as a back-pressured stream of bounded chunks (never the whole file in memory). */
public final class FileSlice {
  private FileSlice() {}

  public static Source<ByteString, NotUsed> of(Path file, long offset, long length, int chunkSize) {
    return Source.unfoldResource(
        () -> new Reader(FileChannel.open(file, StandardOpenOption.READ), offset, length, chunkSize),
        Reader::next,
        Reader::close);
  }

  private static final class Reader {
    private final FileChannel channel;
    private final int chunkSize;
    private long position;
    private long remaining;

    Reader(FileChannel channel, long offset, long length, int chunkSize) {
      this.channel = channel;
      this.position = offset;
      this.remaining = length;
      this.chunkSize = chunkSize;
    }

    Optional<ByteString> next() throws IOException {
      if (remaining <= 0) return Optional.empty();
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(chunkSize, remaining));
      while (buffer.hasRemaining()) {
        int read = channel.read(buffer, position + buffer.position());
        if (read < 0) throw new IOException("file ended before the requested range: " + remaining + " bytes short");
      }
      buffer.flip();
      position += buffer.remaining();
      remaining -= buffer.remaining();
      return Optional.of(ByteString.fromByteBuffer(buffer));
    }

    void close() throws IOException {
      channel.close();
    }
  }
}
