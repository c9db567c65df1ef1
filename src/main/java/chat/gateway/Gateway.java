package chat.gateway;

import chat.account.Directory;
import chat.ephemeral.Sealer;
import chat.media.MediaService;
import chat.metrics.Metrics;
import chat.user.UpdateLog;
import chat.user.User;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** What every socket of this node shares: collaborators, limits and counters. */
public final class Gateway {
  public record Settings(int maxFrameBytes, int outboundBuffer, int syncPageSize, int maxTextLength, Duration activityInterval,
                         int maxUnackedSends, Duration keepAlive) {
    public static Settings from(Config parley) {
      return new Settings(
          parley.getInt("ws.max-frame-bytes"),
          parley.getInt("ws.outbound-buffer"),
          parley.getInt("ws.sync-page-size"),
          parley.getInt("chat.max-text-length"),
          parley.getDuration("presence.activity-interval"),
          parley.getInt("ws.max-unacked-sends"),
          parley.getDuration("ws.keep-alive"));
    }
  }

  final ActorSystem<?> system;
  final ClusterSharding sharding;
  final UpdateLog updateLog;
  final Directory directory;
  final RateLimiter limiter;
  final Settings settings;
  final AtomicLong openSockets = new AtomicLong();
  final LongAdder framesIn;
  final LongAdder framesOut;
  final LongAdder droppedLive;
  final LongAdder slowClosed;
  final Metrics metrics;

  final Sealer sealer;
  final MediaService media;

  public Gateway(ActorSystem<?> system, Directory directory, RateLimiter limiter, Settings settings, Metrics metrics, Sealer sealer,
                 MediaService media, UpdateLog updateLog) {
    this.sealer = sealer;
    this.media = media;
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.updateLog = updateLog;
    this.directory = directory;
    this.limiter = limiter;
    this.settings = settings;
    this.metrics = metrics;
    metrics.gauge("parley_websockets_open", "Open WebSocket connections on this node", openSockets::get);
    this.framesIn = metrics.counter("parley_frames_in_total", "", "Client frames received");
    this.framesOut = metrics.counter("parley_frames_out_total", "", "Frames sent to clients");
    this.droppedLive = metrics.counter("parley_live_frames_dropped_total", "", "Presence/typing frames shed because a socket's buffer was filling");
    this.slowClosed = metrics.counter("parley_slow_sockets_closed_total", "", "Sockets closed because chat updates overflowed their buffer");
  }

  /** The frame of an update, with temporary bodies opened (or replayed as tombstones once expired). */
  String render(String userId, User.Update u) {
    return Frames.update(userId, u.seq(), u.event(), sealer, media::signedUrl, System.currentTimeMillis());
  }

  LongAdder errors(String code) {
    return metrics.counter("parley_frame_errors_total", "code=\"" + code + "\"", "Error frames sent, by code");
  }
}
