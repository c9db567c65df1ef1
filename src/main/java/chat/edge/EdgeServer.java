package chat.edge;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.head;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeout;

import chat.media.FileSlice;
import chat.media.HttpErrors;
import chat.media.MediaId;
import chat.media.MediaService;
import chat.media.RangedResponses;
import chat.media.UrlSigner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pull-through CDN edge for {@code /api/v1/media/...}: verifies signed URLs itself, serves from a memory tier
 * over a disk tier, fetches a miss once however many requests wait for it (from the owning edge when it is not
 * the owner, else from the origin), and keeps serving stale copies while upstream is down.
 */
public final class EdgeServer {
  private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);
  /** Marks a fetch from a peer edge, which must then go to the origin itself rather than to another peer. */
  static final String HOP_HEADER = "X-Parley-Edge-Hop";

  private final ActorSystem<?> system;
  private final EdgeSettings settings;
  private final UrlSigner signer;
  private final EdgeCache cache;
  private final EdgePlacement placement;
  private final LongSupplier clock;
  private final Executor blocking;
  private final Map<String, CompletableFuture<Fetched>> inflight = new ConcurrentHashMap<>();
  private final AtomicLong upstreamFetches = new AtomicLong();
  private final ConnectionPoolSettings upstreamPool;

  /** One completed upstream exchange: the cached object, and whether its body crossed the network. */
  private record Fetched(EdgeCache.Found found, boolean transferred) {}

  /** Upstream answered with a client error (403, 404, ...): passed on to the client, never cached. */
  private static final class UpstreamRefused extends RuntimeException {
    final int status;
    final byte[] body;

    UpstreamRefused(int status, byte[] body) {
      super("upstream answered " + status, null, false, false);
      this.status = status;
      this.body = body;
    }
  }

  public EdgeServer(ActorSystem<?> system, EdgeSettings settings, byte[] signingKey, EdgePlacement placement,
                    LongSupplier clock) throws IOException {
    if (settings.origin().isBlank()) throw new IllegalArgumentException("the edge needs an origin URL (--origin)");
    this.system = system;
    this.settings = settings;
    this.signer = new UrlSigner(signingKey);
    this.placement = placement;
    this.clock = clock;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    // A down upstream must fail fast (connection refused -> stale copy or 502), not wait out retries and backoff.
    this.upstreamPool = ConnectionPoolSettings.create(system.classicSystem())
        .withMaxRetries(0)
        .withBaseConnectionBackoff(Duration.ofMillis(50))
        .withMaxConnectionBackoff(Duration.ofSeconds(1))
        .withMaxConnections(settings.upstreamConnections())
        .withMaxOpenRequests(1024)
        .withConnectionSettings(ClientConnectionSettings.create(system.classicSystem())
            .withConnectingTimeout(Duration.ofSeconds(5)));
    this.cache = new EdgeCache(settings.cacheDir(), settings.memoryBudget(), settings.memoryMaxObject(),
        settings.diskBudget(), blocking);
  }

  /** Fetches this edge made from upstream (origin or owning edge), bodies and revalidations alike. */
  public long upstreamFetches() { return upstreamFetches.get(); }

  /** Binds the routes with a listen backlog that absorbs bursts of new connections (a crowd of concurrent misses). */
  public CompletionStage<ServerBinding> bind() {
    return Http.get(system).newServerAt(settings.host(), settings.port())
        .adaptSettings(s -> s.withBacklog(settings.backlog()))
        .bind(routes());
  }

  public Route routes() {
    return concat(
        pathPrefix(PathMatchers.segment("api").slash("v1").slash("media"), () ->
            path(PathMatchers.segment(), id -> {
              java.util.function.Supplier<Route> media = () -> withRequestTimeout(settings.fetchTimeout().plusSeconds(5),
                  () -> extractRequest(r -> completeWithFuture(serve(id, r))));
              return concat(get(media), head(media));
            })),
        pathPrefix(PathMatchers.segment("edge").slash("v1").slash("cache"), () ->
            path(PathMatchers.segment(), id -> concat(
                delete(() -> extractRequest(r -> complete(purge(id, r)))),
                put(() -> withRequestTimeout(settings.fetchTimeout().plusSeconds(5),
                    () -> extractRequest(r -> completeWithFuture(push(id, r)))))))),
        path(PathMatchers.segment("edge").slash("v1").slash("health"), () ->
            get(() -> complete(HttpErrors.json(200, Map.of("status", "ok"))))));
  }

  // --------------------------------------------------------------------------------------------------- serving

  private CompletionStage<HttpResponse> serve(String pathId, HttpRequest request) {
    Optional<MediaId> parsed = MediaId.parse(pathId);
    if (parsed.isEmpty()) return done(marked(HttpErrors.error(404, "not_found", "no such media"), "HIT", 0));
    MediaId id = parsed.get();
    Optional<String> sig = request.getUri().query().get("sig");
    if (sig.isEmpty()) {
      if (request.getHeader("Authorization").isPresent()) return passThrough(pathId, request);
      return done(marked(HttpErrors.error(401, "unauthorized", "a signed URL or a bearer token is required"), "HIT", 0));
    }
    String exp = request.getUri().query().get("exp").orElse(null);
    long now = clock.getAsLong();
    UrlSigner.Verdict verdict = signer.verify(id, exp, sig.get(), now);
    if (verdict != UrlSigner.Verdict.VALID) return done(marked(MediaService.signatureRefused(verdict), "HIT", 0));
    String cacheControl = "public, max-age=" + Math.max(0, Long.parseLong(exp) - now / 1000) + ", immutable";
    String upstreamQuery = "?exp=" + exp + "&sig=" + sig.get();

    String key = id.pathId();
    Optional<EdgeCache.Found> cached = cache.lookup(key);
    if (cached.isPresent() && now - cached.get().object().fetchedAtMillis() < settings.ttl().toMillis()) {
      return done(respond(request, cached.get(), "HIT", cacheControl));
    }
    boolean[] leader = new boolean[1];
    CompletableFuture<Fetched> fetch = coalescedFetch(key, upstreamQuery, request, cached, leader);
    return fetch.handle((fetched, failure) -> {
      if (failure == null) {
        String status = leader[0] && fetched.transferred() ? "MISS" : "HIT";
        return respond(request, fetched.found(), status, cacheControl);
      }
      Optional<UpstreamRefused> refused = causeOf(failure, UpstreamRefused.class);
      if (refused.isPresent()) {
        if (cached.isPresent()) cache.purge(key); // the origin no longer serves it: a takedown reaches this edge
        return marked(HttpResponse.create().withStatus(refused.get().status)
            .withEntity(org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON, refused.get().body),
            leader[0] ? "MISS" : "HIT", 0);
      }
      long staleFor = clock.getAsLong() - (cached.map(c -> c.object().fetchedAtMillis()).orElse(0L) + settings.ttl().toMillis());
      if (cached.isPresent() && staleFor <= settings.staleIfError().toMillis()) {
        return respond(request, cached.get(), "STALE", cacheControl);
      }
      log.warn("upstream fetch of {} failed: {}", key, rootMessage(failure));
      return marked(HttpErrors.error(502, "origin_unavailable", "the media origin cannot be reached right now"),
          leader[0] ? "MISS" : "HIT", 0);
    });
  }

  private HttpResponse respond(HttpRequest request, EdgeCache.Found found, String xCache, String cacheControl) {
    CachedObject object = found.object();
    RangedResponses.Representation representation = found.bytes().isPresent()
        ? RangedResponses.Representation.inMemory(object.sha256, object.contentType, ByteString.fromArrayUnsafe(found.bytes().get()))
        : new RangedResponses.Representation(object.sha256, object.size, object.contentType,
            (offset, length) -> FileSlice.of(found.file(), offset, length, settings.readChunkBytes()));
    List<HttpHeader> headers = List.of(
        RawHeader.create("X-Cache", xCache),
        RawHeader.create("Age", Long.toString(object.ageSeconds(clock.getAsLong()))),
        RawHeader.create("Cache-Control", cacheControl));
    return RangedResponses.respond(request, representation, headers);
  }

  private static HttpResponse marked(HttpResponse response, String xCache, long age) {
    return response.addHeaders(List.of(RawHeader.create("X-Cache", xCache), RawHeader.create("Age", Long.toString(age))));
  }

  /** Bearer requests are private to one user: proxied to the origin, never cached. */
  private CompletionStage<HttpResponse> passThrough(String pathId, HttpRequest request) {
    HttpRequest forward = HttpRequest.GET(settings.origin() + "/api/v1/media/" + pathId);
    List<HttpHeader> copied = new ArrayList<>();
    for (String name : List.of("Authorization", "Range", "If-None-Match", "If-Range")) {
      request.getHeader(name).ifPresent(h -> copied.add(RawHeader.create(name, h.value())));
    }
    return upstream(forward.addHeaders(copied))
        .thenApply(response -> marked(response, "MISS", 0))
        .exceptionally(failure -> marked(HttpErrors.error(502, "origin_unavailable",
            "the media origin cannot be reached right now"), "MISS", 0));
  }

  // -------------------------------------------------------------------------------------------------- fetching

  /**
   * Joins the fetch already under way for this key, or starts it. {@code leader[0]} tells the caller whether it
   * started the fetch (and so owns the one MISS it produces).
   */
  private CompletableFuture<Fetched> coalescedFetch(String key, String query, HttpRequest request,
                                                    Optional<EdgeCache.Found> stale, boolean[] leader) {
    CompletableFuture<Fetched> mine = new CompletableFuture<>();
    CompletableFuture<Fetched> running = inflight.putIfAbsent(key, mine);
    if (running != null) return running;
    leader[0] = true;
    fetchFromUpstream(key, query, request, stale).whenComplete((fetched, failure) -> {
      inflight.remove(key, mine);
      if (failure != null) mine.completeExceptionally(failure); else mine.complete(fetched);
    });
    return mine;
  }

  private CompletableFuture<Fetched> fetchFromUpstream(String key, String query, HttpRequest request,
                                                       Optional<EdgeCache.Found> stale) {
    boolean fromPeer = request.getHeader(HOP_HEADER).isPresent();
    String owner = placement == null || fromPeer ? settings.selfUrl() : placement.ownerOf(key);
    if (placement != null && !owner.equals(settings.selfUrl())) {
      return fetchFrom(owner, key, query, stale, true).exceptionallyCompose(failure -> {
        if (causeOf(failure, UpstreamRefused.class).isPresent()) return CompletableFuture.failedFuture(failure);
        log.info("owning edge {} failed for {} ({}); asking the origin", owner, key, rootMessage(failure));
        return fetchFrom(settings.origin(), key, query, stale, false);
      });
    }
    return fetchFrom(settings.origin(), key, query, stale, false);
  }

  private CompletableFuture<Fetched> fetchFrom(String base, String key, String query, Optional<EdgeCache.Found> stale,
                                               boolean peer) {
    upstreamFetches.incrementAndGet();
    HttpRequest request = HttpRequest.GET(base + "/api/v1/media/" + key + query);
    if (peer) request = request.addHeader(RawHeader.create(HOP_HEADER, "1"));
    if (stale.isPresent()) request = request.addHeader(RawHeader.create("If-None-Match", "\"" + stale.get().object().sha256 + "\""));
    return upstream(request)
        .thenCompose(response -> receive(key, response, stale))
        .toCompletableFuture()
        .orTimeout(settings.fetchTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private CompletionStage<Fetched> receive(String key, HttpResponse response, Optional<EdgeCache.Found> stale) {
    int status = response.status().intValue();
    long upstreamAge = response.getHeader("Age").map(h -> parseLongOr(h.value(), 0)).orElse(0L);
    if (status == 304 && stale.isPresent()) {
      response.discardEntityBytes(system);
      stale.get().object().refreshed(clock.getAsLong(), upstreamAge);
      return CompletableFuture.completedFuture(new Fetched(stale.get(), false));
    }
    if (status >= 400 && status < 500) {
      return response.entity().toStrict(5_000, system)
          .thenApply(strict -> { throw new UpstreamRefused(status, strict.getData().toArray()); });
    }
    if (status != 200) {
      response.discardEntityBytes(system);
      return CompletableFuture.failedFuture(new IOException("upstream answered " + status));
    }
    Optional<String> etag = response.getHeader("ETag").map(h -> h.value().replace("W/", "").replace("\"", "").trim());
    String contentType = response.entity().getContentType().toString();
    return streamToStaging(response.entity().withoutSizeLimit().getDataBytes())
        .thenApplyAsync(staged -> {
          try {
            if (etag.isPresent() && !etag.get().equals(staged.sha256)) {
              Files.deleteIfExists(staged.file);
              throw new IOException("upstream body does not match its ETag (content hash); not cached");
            }
            CachedObject object = new CachedObject(key, staged.sha256, staged.size, contentType, clock.getAsLong(), upstreamAge);
            return new Fetched(cache.admit(object, staged.file), true);
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        }, blocking);
  }

  private record Staged(Path file, String sha256, long size) {}

  /** Writes a body to a staging file chunk by chunk, hashing it on the way; the body is never held whole. */
  private CompletionStage<Staged> streamToStaging(org.apache.pekko.stream.javadsl.Source<ByteString, ?> body) {
    Path staged;
    MessageDigest digest;
    try {
      staged = cache.newStagingFile();
      digest = MessageDigest.getInstance("SHA-256");
    } catch (IOException | NoSuchAlgorithmException e) {
      return CompletableFuture.failedFuture(e);
    }
    long[] size = new long[1];
    return body
        .map(chunk -> {
          for (java.nio.ByteBuffer b : chunk.getByteBuffers()) digest.update(b);
          size[0] += chunk.size();
          return chunk;
        })
        .runWith(FileIO.toPath(staged), system)
        .handle((io, failure) -> {
          if (failure != null) {
            try {
              Files.deleteIfExists(staged);
            } catch (IOException ignored) {
              // staging is cleared on the next start
            }
            throw new CompletionException(failure);
          }
          return new Staged(staged, HexFormat.of().formatHex(digest.digest()), size[0]);
        });
  }

  // ------------------------------------------------------------------------------------------ purge and push

  private HttpResponse purge(String pathId, HttpRequest request) {
    Optional<HttpResponse> refused = checkAdmin(request);
    if (refused.isPresent()) return refused.get();
    Optional<MediaId> id = MediaId.parse(pathId);
    if (id.isEmpty()) return HttpErrors.error(404, "not_found", "not a media id");
    int purged = 0;
    List<String> keys = id.get().variant() == MediaId.Variant.ORIGINAL
        ? List.of(pathId, MediaId.thumbnailIdOf(pathId)) : List.of(pathId);
    for (String key : keys) if (cache.purge(key)) purged++;
    return HttpErrors.json(200, Map.of("purged", purged));
  }

  private CompletionStage<HttpResponse> push(String pathId, HttpRequest request) {
    Optional<HttpResponse> refused = checkAdmin(request);
    if (refused.isPresent()) {
      request.discardEntityBytes(system);
      return done(refused.get());
    }
    Optional<MediaId> id = MediaId.parse(pathId);
    if (id.isEmpty()) {
      request.discardEntityBytes(system);
      return done(HttpErrors.error(404, "not_found", "not a media id"));
    }
    String contentType = request.entity().getContentType().toString();
    Optional<String> expected = request.getHeader("X-Content-SHA256").map(h -> h.value().trim().toLowerCase());
    return streamToStaging(request.entity().withoutSizeLimit().getDataBytes())
        .thenApplyAsync(staged -> {
          try {
            if (expected.isPresent() && !expected.get().equals(staged.sha256)) {
              Files.deleteIfExists(staged.file);
              return HttpErrors.error(400, "hash_mismatch", "the body's SHA-256 is " + staged.sha256);
            }
            CachedObject object = new CachedObject(pathId, staged.sha256, staged.size, contentType, clock.getAsLong(), 0);
            cache.admit(object, staged.file);
            return HttpErrors.json(201, Map.of("key", pathId, "sha256", staged.sha256, "size", staged.size));
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        }, blocking);
  }

  private Optional<HttpResponse> checkAdmin(HttpRequest request) {
    if (settings.adminToken().isBlank()) {
      return Optional.of(HttpErrors.error(403, "forbidden", "purge and push are disabled: set parley.edge.admin-token"));
    }
    String presented = request.getHeader("Authorization").map(HttpHeader::value)
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7)).map(v -> v.substring(7).trim()).orElse("");
    if (!MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), settings.adminToken().getBytes(StandardCharsets.UTF_8))) {
      return Optional.of(HttpErrors.error(401, "unauthorized", "the edge admin token is required"));
    }
    return Optional.empty();
  }

  // --------------------------------------------------------------------------------------------------- helpers

  private CompletionStage<HttpResponse> upstream(HttpRequest request) {
    Http http = Http.get(system);
    return http.singleRequest(request, http.defaultClientHttpsContext(), upstreamPool, system.classicSystem().log());
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  private static long parseLongOr(String value, long fallback) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static <T extends Throwable> Optional<T> causeOf(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return Optional.of(type.cast(t));
      if (t.getCause() == t) break;
    }
    return Optional.empty();
  }

  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.toString();
  }
}
