package chat.media;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/** The {@code parley.media} knobs; documented in reference-media.conf. */
public record MediaSettings(
    long maxImageBytes,
    long maxVideoBytes,
    Duration signedUrlTtl,
    int thumbnailMaxDimension,
    float thumbnailQuality,
    long maxDecodePixels,
    String ffmpegCommand,
    Duration posterTimeout,
    int readChunkBytes,
    Duration uploadTimeout,
    String signingKey) {

  /** Accepts the root config or the {@code parley.media} block; unset knobs take the shipped defaults. */
  public static MediaSettings from(Config config) {
    Config defaults = ConfigFactory.parseResources("reference-media.conf").resolve();
    Config media = (config.hasPath("parley.media") ? config.getConfig("parley.media") : config)
        .withFallback(defaults.getConfig("parley.media"));
    return new MediaSettings(
        media.getBytes("max-image-bytes"),
        media.getBytes("max-video-bytes"),
        media.getDuration("signed-url-ttl"),
        media.getInt("thumbnail.max-dimension"),
        (float) media.getDouble("thumbnail.jpeg-quality"),
        media.getLong("thumbnail.max-decode-pixels"),
        media.getString("poster.ffmpeg"),
        media.getDuration("poster.timeout"),
        (int) media.getBytes("read-chunk-size").longValue(),
        media.getDuration("upload-timeout"),
        media.getString("signing-key"));
  }

  long limitFor(MediaKind kind) {
    return kind.isVideo() ? maxVideoBytes : maxImageBytes;
  }
}
