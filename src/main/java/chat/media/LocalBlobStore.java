package chat.media;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** Blobs as files {@code root/ab/cd/<sha256>}; two levels of fan-out keep directories small. */
public final class LocalBlobStore implements BlobStore {
  private final Path root;
  private final Path staging;
  private final int chunkSize;

  public LocalBlobStore(Path root, int chunkSize) throws IOException {
    this.root = root.resolve("blobs");
    this.staging = root.resolve("staging");
    this.chunkSize = chunkSize;
    Files.createDirectories(this.root);
    Files.createDirectories(this.staging);
  }

  @Override
  public Path newStagingFile() throws IOException {
    return Files.createTempFile(staging, "upload", ".part");
  }

  @Override
  public void put(String sha256, Path staged) throws IOException {
    Path target = pathOf(sha256);
    if (Files.exists(target)) {
      Files.deleteIfExists(staged);
      return;
    }
    Files.createDirectories(target.getParent());
    try {
      Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException concurrentSameContent) {
      Files.deleteIfExists(staged);
    }
  }

  @Override
  public void delete(String sha256) throws IOException {
    Files.deleteIfExists(pathOf(sha256));
  }

  @Override
  public boolean contains(String sha256) {
    return Files.isRegularFile(pathOf(sha256));
  }

  @Override
  public Source<ByteString, NotUsed> read(String sha256, long offset, long length) {
    return FileSlice.of(pathOf(sha256), offset, length, chunkSize);
  }

  Path pathOf(String sha256) {
    if (!sha256.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("not a sha256: " + sha256);
    return root.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256);
  }
}
