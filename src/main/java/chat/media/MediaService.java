package chat.media;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.head;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeout;

import chat.auth.TokenService;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.FileIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The origin side of media sharing: upload (streamed to a content-addressed blob store, type sniffed, hashed and
 * size-limited on the way), metadata and thumbnails, read grants, and downloads by bearer token or signed URL.
 */
public final class MediaService implements MediaRetention {
  private static final Logger log = LoggerFactory.getLogger(MediaService.class);

  public enum ShareResult { OK, NOT_FOUND, FORBIDDEN }

  private final ActorSystem<?> system;
  private final MediaSettings settings;
  private final TokenService tokens;
  private final BlobStore blobs;
  private final MediaRepository repository;
  private final UrlSigner signer;
  private final PosterExtractor posters;
  private final Executor blocking;
  private final Path workDir;

  /**
   * db: a DataSource on the node's database (H2 file by default, PostgreSQL in clusters) for metadata and access
   * grants. dataDir: the node's data directory (blob store under dataDir/media). tokens: verifies bearer tokens.
   */
  public MediaService(ActorSystem<?> system, Config config, Path dataDir, TokenService tokens, javax.sql.DataSource db) {
    this.system = system;
    this.settings = MediaSettings.from(config);
    this.tokens = tokens;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.signer = new UrlSigner(SigningKeys.forNode(settings.signingKey(), dataDir));
    this.posters = new PosterExtractor(settings.ffmpegCommand(), settings.posterTimeout());
    try {
      Path mediaRoot = dataDir.resolve("media");
      this.blobs = new LocalBlobStore(mediaRoot, settings.readChunkBytes());
      this.workDir = Files.createDirectories(mediaRoot.resolve("work"));
      this.repository = new MediaRepository(db);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the media store under " + dataDir, e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the media tables", e);
    }
  }

  /** All /api/v1/media routes (POST upload, GET by id with bearer token or signed URL, Range, ETag...). */
  public Route routes() {
    return pathPrefix(PathMatchers.segment("api").slash("v1").slash("media"), () -> concat(
        pathEndOrSingleSlash(() -> post(() -> withRequestTimeout(settings.uploadTimeout(),
            () -> extractRequest(request -> completeWithFuture(upload(request)))))),
        path(PathMatchers.segment(), id -> {
          java.util.function.Supplier<Route> serve = () -> extractRequest(request -> completeWithFuture(download(id, request)));
          return concat(get(serve), head(serve)); // HEAD: same headers, Pekko drops the body
        })));
  }

  /**
   * Called when {@code senderId} sends a message whose body references {@code mediaId} into a conversation with
   * these members (sender included). OK when the sender may read the media and every member has been granted read
   * access; NOT_FOUND / FORBIDDEN otherwise.
   */
  public CompletionStage<ShareResult> share(String senderId, String mediaId, Collection<String> members) {
    Optional<MediaId> id = MediaId.parse(mediaId);
    if (id.isEmpty()) return CompletableFuture.completedFuture(ShareResult.NOT_FOUND);
    List<String> grantees = List.copyOf(members);
    return CompletableFuture.supplyAsync(() -> {
      try {
        if (repository.find(id.get().mediaId()).isEmpty()) return ShareResult.NOT_FOUND;
        if (!repository.mayRead(id.get().mediaId(), senderId)) return ShareResult.FORBIDDEN;
        repository.grant(id.get().mediaId(), grantees);
        return ShareResult.OK;
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }

  /** Blocking (one small query); called by entities as they persist a message referencing media. */
  @Override
  public void retain(String mediaId, long expiresAt) {
    Optional<MediaId> id = MediaId.parse(mediaId);
    if (id.isEmpty()) return;
    try {
      repository.retain(id.get().mediaId(), expiresAt);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot record media retention: " + e.getMessage(), e);
    }
  }

  /** Deletes media referenced only by messages that expired by {@code now}: rows, grants and unused blobs. */
  public int deleteExpired(long now) {
    int deleted = 0;
    try {
      for (String mediaId : repository.dueForDeletion(now)) {
        for (String sha : repository.delete(mediaId)) blobs.delete(sha);
        deleted++;
      }
    } catch (SQLException | IOException e) {
      org.slf4j.LoggerFactory.getLogger(MediaService.class).warn("could not delete expired media: {}", e.getMessage());
    }
    return deleted;
  }

  /** Relative signed URL (path + query) for a media id or thumbnail id, valid for the configured TTL. */
  public String signedUrl(String mediaId) {
    MediaId id = MediaId.parse(mediaId).orElseThrow(() -> new IllegalArgumentException("not a media id: " + mediaId));
    long expiresAt = System.currentTimeMillis() / 1000 + settings.signedUrlTtl().toSeconds();
    return signer.signedPath(id, expiresAt);
  }

  /** The signer, for components (tests, an embedded edge) that must produce or check the same URLs. */
  public UrlSigner signer() { return signer; }

  // ---------------------------------------------------------------------------------------------------- upload

  private CompletionStage<HttpResponse> upload(HttpRequest request) {
    Optional<String> user = bearerUser(request);
    if (user.isEmpty()) return done(unauthorized());
    String declared = request.entity().getContentType().mediaType().toString();
    Optional<MediaKind> kind = MediaKind.fromContentType(declared);
    if (kind.isEmpty()) {
      return done(HttpErrors.error(415, "unsupported_media_type", "Content-Type " + declared
          + " is not accepted; send image/jpeg, image/png, image/webp, image/gif, video/mp4 or video/webm"));
    }
    UploadInspector inspector = new UploadInspector(kind.get(), settings.limitFor(kind.get()));
    OptionalLong declaredLength = request.entity().getContentLengthOption();
    if (declaredLength.isPresent() && declaredLength.getAsLong() > settings.limitFor(kind.get())) {
      UploadInspector.UploadRejected tooLarge = inspector.tooLarge();
      return done(HttpErrors.error(tooLarge.status, tooLarge.code, tooLarge.getMessage()));
    }
    Path staged;
    try {
      staged = blobs.newStagingFile();
    } catch (IOException e) {
      log.error("cannot stage upload", e);
      return done(HttpErrors.error(503, "unavailable", "the media store cannot accept uploads right now"));
    }
    return request.entity().withoutSizeLimit().getDataBytes()
        .map(inspector::accept)
        .runWith(FileIO.toPath(staged), system)
        .thenApplyAsync(written -> {
          inspector.finish();
          return store(user.get(), kind.get(), inspector, staged);
        }, blocking)
        .exceptionally(failure -> {
          deleteQuietly(staged);
          Optional<UploadInspector.UploadRejected> rejected = causeOf(failure, UploadInspector.UploadRejected.class);
          if (rejected.isPresent()) {
            return HttpErrors.error(rejected.get().status, rejected.get().code, rejected.get().getMessage());
          }
          log.error("media upload failed", failure);
          return HttpErrors.error(500, "internal", "the upload could not be stored");
        });
  }

  private HttpResponse store(String owner, MediaKind kind, UploadInspector inspector, Path staged) {
    String sha256 = inspector.sha256();
    MediaProbe.Facts facts = MediaProbe.facts(kind, staged);
    String mediaId = MediaId.newMediaId();
    Thumbnail thumbnail = thumbnail(kind, staged);
    try {
      blobs.put(sha256, staged);
      MediaRecord record = new MediaRecord(mediaId, owner, sha256, kind, inspector.size(), facts.width(),
          facts.height(), facts.durationMs(), thumbnail.sha256, thumbnail.size, System.currentTimeMillis());
      repository.insert(record);
    } catch (IOException | SQLException e) {
      throw new CompletionException(e);
    }
    ObjectNode body = HttpErrors.JSON.createObjectNode();
    body.put("mediaId", mediaId);
    body.put("contentType", kind.contentType());
    body.put("size", inspector.size());
    body.put("sha256", sha256);
    if (facts.width() != null) body.put("width", facts.width());
    if (facts.height() != null) body.put("height", facts.height());
    if (facts.durationMs() != null) body.put("durationMs", facts.durationMs());
    if (thumbnail.sha256 != null) {
      body.put("thumbnailId", MediaId.thumbnailIdOf(mediaId));
    } else if (kind.isVideo()) {
      body.put("poster", "none");
      body.put("posterReason", thumbnail.missingReason);
    } else {
      body.put("thumbnailReason", thumbnail.missingReason);
    }
    return HttpErrors.json(201, body);
  }

  private record Thumbnail(String sha256, Long size, String missingReason) {}

  private Thumbnail thumbnail(MediaKind kind, Path source) {
    Path target = null;
    Path frame = null;
    try {
      target = Files.createTempFile(workDir, "thumb", ".jpg");
      Optional<Path> written;
      String reason;
      if (kind.isVideo()) {
        if (!posters.available()) return new Thumbnail(null, null, PosterExtractor.NO_DECODER);
        frame = posters.firstFrame(source, workDir).orElse(null);
        written = frame == null ? Optional.empty()
            : MediaProbe.rescale(frame, target, settings.thumbnailMaxDimension(), settings.thumbnailQuality());
        reason = PosterExtractor.DECODE_FAILED;
      } else {
        written = MediaProbe.imageThumbnail(source, target, settings.thumbnailMaxDimension(),
            settings.maxDecodePixels(), settings.thumbnailQuality());
        reason = "no decoder for " + kind.contentType() + " on this node, or the image exceeds "
            + "parley.media.thumbnail.max-decode-pixels";
      }
      if (written.isEmpty()) return new Thumbnail(null, null, reason);
      String sha = sha256Of(target);
      long size = Files.size(target);
      blobs.put(sha, target);
      target = null;
      return new Thumbnail(sha, size, null);
    } catch (IOException | RuntimeException e) {
      log.warn("thumbnail for {} failed: {}", kind, e.toString());
      return new Thumbnail(null, null, "the image could not be decoded for a thumbnail");
    } finally {
      deleteQuietly(target);
      deleteQuietly(frame);
    }
  }

  // -------------------------------------------------------------------------------------------------- download

  private CompletionStage<HttpResponse> download(String pathId, HttpRequest request) {
    Optional<MediaId> parsed = MediaId.parse(pathId);
    if (parsed.isEmpty()) return done(notFound());
    MediaId id = parsed.get();
    Optional<String> sig = request.getUri().query().get("sig");
    if (sig.isPresent()) {
      Optional<String> exp = request.getUri().query().get("exp");
      long now = System.currentTimeMillis();
      UrlSigner.Verdict verdict = signer.verify(id, exp.orElse(null), sig.get(), now);
      if (verdict != UrlSigner.Verdict.VALID) return done(signatureRefused(verdict));
      long maxAge = Math.max(0, Long.parseLong(exp.get()) - now / 1000);
      String cacheControl = "public, max-age=" + maxAge + ", immutable";
      return lookup(id.mediaId()).thenApply(record -> record
          .map(r -> serve(r, id, request, cacheControl))
          .orElseGet(MediaService::notFound));
    }
    Optional<String> user = bearerUser(request);
    if (user.isEmpty()) return done(unauthorized());
    return CompletableFuture.supplyAsync(() -> {
      try {
        Optional<MediaRecord> record = repository.find(id.mediaId());
        if (record.isEmpty()) return notFound();
        if (!repository.mayRead(id.mediaId(), user.get())) {
          return HttpErrors.error(403, "forbidden", "this media was not shared with you");
        }
        return serve(record.get(), id, request, "private");
      } catch (SQLException e) {
        log.error("media lookup failed", e);
        return HttpErrors.error(503, "unavailable", "media metadata is unavailable right now");
      }
    }, blocking);
  }

  /** Refusal of a signed URL; shared with edges so both answer alike. */
  public static HttpResponse signatureRefused(UrlSigner.Verdict verdict) {
    return verdict == UrlSigner.Verdict.EXPIRED
        ? HttpErrors.error(403, "expired", "this media URL has expired; fetch the message again for a fresh one")
        : HttpErrors.error(403, "forbidden", "this media URL's signature is invalid");
  }

  private CompletionStage<Optional<MediaRecord>> lookup(String mediaId) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return repository.find(mediaId);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }

  private HttpResponse serve(MediaRecord record, MediaId id, HttpRequest request, String cacheControl) {
    String sha;
    long size;
    String contentType;
    if (id.variant() == MediaId.Variant.THUMBNAIL) {
      if (!record.hasThumbnail()) return HttpErrors.error(404, "not_found", "this media has no thumbnail");
      sha = record.thumbnailSha256();
      size = record.thumbnailSize();
      contentType = "image/jpeg";
    } else {
      sha = record.sha256();
      size = record.size();
      contentType = record.kind().contentType();
    }
    List<HttpHeader> headers = List.of(RawHeader.create("Cache-Control", cacheControl));
    return RangedResponses.respond(request,
        new RangedResponses.Representation(sha, size, contentType, (offset, length) -> blobs.read(sha, offset, length)),
        headers);
  }

  // --------------------------------------------------------------------------------------------------- helpers

  private Optional<String> bearerUser(HttpRequest request) {
    return request.getHeader("Authorization")
        .map(HttpHeader::value)
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
        .flatMap(v -> tokens.verify(v.substring(7).trim(), System.currentTimeMillis()));
  }

  private static HttpResponse unauthorized() {
    return HttpErrors.error(401, "unauthorized", "a valid bearer token is required",
        List.of(RawHeader.create("WWW-Authenticate", "Bearer")));
  }

  private static HttpResponse notFound() {
    return HttpErrors.error(404, "not_found", "no such media");
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  static <T extends Throwable> Optional<T> causeOf(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return Optional.of(type.cast(t));
      if (t.getCause() == t) break;
    }
    return Optional.empty();
  }

  private static String sha256Of(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file == null) return;
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover temp file in the staging dir is harmless
    }
  }
}
