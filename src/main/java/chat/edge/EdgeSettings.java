package chat.edge;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The {@code parley.edge} knobs (see reference-media.conf) plus the shared media signing key. */
public record EdgeSettings(
    String origin,
    String host,
    int port,
    Path cacheDir,
    long memoryBudget,
    long memoryMaxObject,
    long diskBudget,
    Duration ttl,
    Duration staleIfError,
    String adminToken,
    List<String> peers,
    String selfUrl,
    Duration fetchTimeout,
    int readChunkBytes,
    int backlog,
    int upstreamConnections,
    String signingKey) {

  /** Accepts the root config; unset knobs take the shipped defaults. */
  public static EdgeSettings from(Config root) {
    Config withDefaults = root.withFallback(ConfigFactory.parseResources("reference-media.conf")).resolve();
    Config edge = withDefaults.getConfig("parley.edge");
    return new EdgeSettings(
        trimSlash(edge.getString("origin")),
        edge.getString("host"),
        edge.getInt("port"),
        Path.of(edge.getString("cache-dir")),
        edge.getBytes("memory-budget"),
        edge.getBytes("memory-max-object"),
        edge.getBytes("disk-budget"),
        edge.getDuration("ttl"),
        edge.getDuration("stale-if-error"),
        edge.getString("admin-token"),
        edge.getStringList("peers").stream().map(EdgeSettings::trimSlash).toList(),
        trimSlash(edge.getString("self-url")),
        edge.getDuration("fetch-timeout"),
        (int) edge.getBytes("read-chunk-size").longValue(),
        edge.getInt("backlog"),
        edge.getInt("upstream-connections"),
        withDefaults.getString("parley.media.signing-key"));
  }

  static String trimSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
