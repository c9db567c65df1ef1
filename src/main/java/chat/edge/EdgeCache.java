package chat.edge;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two tiers, both Caffeine (W-TinyLFU admission, byte-weighted): small objects in memory over every object on disk.
 * Each disk admission gets its own file name, so replacing or evicting an entry deletes exactly its own files
 * and a reader that already opened a file keeps reading it.
 */
final class EdgeCache {
  private static final Logger log = LoggerFactory.getLogger(EdgeCache.class);

  record Memory(byte[] bytes, CachedObject object) {}

  record Disk(Path file, CachedObject object) {}

  /** A lookup result: the object, and its bytes when the memory tier has them. */
  record Found(CachedObject object, Optional<byte[]> bytes, Path file) {}

  private final Cache<String, Memory> memory;
  private final Cache<String, Disk> disk;
  private final long memoryMaxObject;
  private final Path objects;
  private final Path staging;
  private final Executor blocking;

  EdgeCache(Path cacheDir, long memoryBudget, long memoryMaxObject, long diskBudget, Executor blocking) throws IOException {
    this.memoryMaxObject = memoryMaxObject;
    this.blocking = blocking;
    this.objects = Files.createDirectories(cacheDir.resolve("objects"));
    this.staging = Files.createDirectories(cacheDir.resolve("staging"));
    this.memory = Caffeine.newBuilder()
        .maximumWeight(memoryBudget)
        .weigher((String key, Memory m) -> m.bytes().length)
        .build();
    this.disk = Caffeine.newBuilder()
        .maximumWeight(diskBudget)
        .weigher((String key, Disk d) -> (int) Math.min(Integer.MAX_VALUE, d.object().size))
        .removalListener((String key, Disk d, RemovalCause cause) -> {
          if (d != null) deleteFiles(d.file());
        })
        .executor(blocking)
        .build();
    clearStaging();
    restore();
  }

  Path newStagingFile() throws IOException {
    return Files.createTempFile(staging, "fetch", ".part");
  }

  Optional<Found> lookup(String key) {
    Memory m = memory.getIfPresent(key);
    Disk d = disk.getIfPresent(key);
    if (d == null) {
      if (m != null) memory.invalidate(key);
      return Optional.empty();
    }
    if (m != null && m.object() == d.object()) return Optional.of(new Found(d.object(), Optional.of(m.bytes()), d.file()));
    if (d.object().size <= memoryMaxObject) blocking.execute(() -> promote(d));
    return Optional.of(new Found(d.object(), Optional.empty(), d.file()));
  }

  /** Takes ownership of a fully written, verified staging file. Blocking. */
  Found admit(CachedObject object, Path staged) throws IOException {
    String stem = safeName(object.key) + "." + System.nanoTime();
    Path file = objects.resolve(stem + ".bin");
    Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE);
    writeMeta(object, objects.resolve(stem + ".meta"));
    Disk entry = new Disk(file, object);
    disk.put(object.key, entry);
    memory.invalidate(object.key);
    if (object.size <= memoryMaxObject) {
      byte[] bytes = Files.readAllBytes(file);
      memory.put(object.key, new Memory(bytes, object));
      return new Found(object, Optional.of(bytes), file);
    }
    return new Found(object, Optional.empty(), file);
  }

  /** Removes the key from both tiers; true when something was cached. */
  boolean purge(String key) {
    boolean had = disk.getIfPresent(key) != null;
    memory.invalidate(key);
    disk.invalidate(key);
    return had;
  }

  void cleanUp() {
    memory.cleanUp();
    disk.cleanUp();
  }

  private void promote(Disk d) {
    try {
      byte[] bytes = Files.readAllBytes(d.file());
      if (disk.getIfPresent(d.object().key) == d) memory.put(d.object().key, new Memory(bytes, d.object()));
    } catch (IOException evictedMeanwhile) {
      // the disk tier dropped it; the next request fetches again
    }
  }

  private static void writeMeta(CachedObject object, Path target) throws IOException {
    Properties p = new Properties();
    p.setProperty("key", object.key);
    p.setProperty("sha256", object.sha256);
    p.setProperty("size", Long.toString(object.size));
    p.setProperty("contentType", object.contentType);
    p.setProperty("fetchedAt", Long.toString(object.fetchedAtMillis()));
    p.setProperty("ageAtFetch", Long.toString(object.ageAtFetchSeconds()));
    try (OutputStream out = Files.newOutputStream(target)) {
      p.store(out, null);
    }
  }

  /** Brings back what an earlier run left on disk, so a restarted edge starts warm. */
  private void restore() throws IOException {
    try (Stream<Path> files = Files.list(objects)) {
      for (Path meta : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".meta"))::iterator) {
        Path bin = Path.of(meta.toString().replaceFirst("\\.meta$", ".bin"));
        try (InputStream in = Files.newInputStream(meta)) {
          Properties p = new Properties();
          p.load(in);
          CachedObject object = new CachedObject(p.getProperty("key"), p.getProperty("sha256"),
              Long.parseLong(p.getProperty("size")), p.getProperty("contentType"),
              Long.parseLong(p.getProperty("fetchedAt")), Long.parseLong(p.getProperty("ageAtFetch")));
          if (!Files.isRegularFile(bin) || Files.size(bin) != object.size) throw new IOException("incomplete entry");
          Disk existing = disk.getIfPresent(object.key);
          if (existing == null || existing.object().fetchedAtMillis() < object.fetchedAtMillis()) {
            disk.put(object.key, new Disk(bin, object));
          } else {
            deleteFiles(bin);
          }
        } catch (IOException | RuntimeException damaged) {
          log.warn("dropping damaged cache entry {}: {}", meta.getFileName(), damaged.toString());
          deleteFiles(bin);
        }
      }
    }
  }

  private void clearStaging() throws IOException {
    try (Stream<Path> leftovers = Files.list(staging)) {
      for (Path p : (Iterable<Path>) leftovers::iterator) Files.deleteIfExists(p);
    }
  }

  private static void deleteFiles(Path bin) {
    try {
      Files.deleteIfExists(bin);
      Files.deleteIfExists(Path.of(bin.toString().replaceFirst("\\.bin$", ".meta")));
    } catch (IOException e) {
      log.warn("cannot delete evicted cache file {}: {}", bin, e.toString());
    }
  }

  /** Cache keys are media path ids (hex plus "-t"), but never trust them as file names. */
  private static String safeName(String key) {
    return key.replaceAll("[^A-Za-z0-9_-]", "_");
  }
}
