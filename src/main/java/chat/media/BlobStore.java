package chat.media;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Content-addressed blob storage keyed by SHA-256 hex. Uploads are staged as local files (they must be sniffed,
 * hashed and probed first) and then handed over; reads are streams of byte ranges, so an S3-compatible store
 * (ranged GETs, multipart PUTs) can implement the same interface.
 */
public interface BlobStore {
  /** A fresh local file to stage an upload in; the caller deletes it if it does not {@link #put} it. */
  Path newStagingFile() throws IOException;

  /** Moves the staged file into the store under its hash; if that content is already stored it is kept once. */
  void put(String sha256, Path staged) throws IOException;

  boolean contains(String sha256);

  /** Removes the content (no-op when absent). */
  void delete(String sha256) throws IOException;

  /** Streams {@code length} bytes starting at {@code offset}; nothing is read until the source runs. */
  Source<ByteString, NotUsed> read(String sha256, long offset, long length);
}
