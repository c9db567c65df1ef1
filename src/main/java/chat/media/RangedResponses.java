package chat.media;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Answers a GET for an immutable representation: conditional (ETag / If-None-Match -> 304), ranged
 * (Range / If-Range -> 206, several ranges as multipart/byteranges, 416 when unsatisfiable) or whole. Shared by
 * the origin and the edge so both speak exactly the same HTTP.
 */
public final class RangedResponses {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Parsed content types by name; parsing one per request is measurable on the edge's hit path. */
  private static final java.util.concurrent.ConcurrentHashMap<String, ContentType> CONTENT_TYPES =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** What is being served; {@code body} streams {@code (offset, length)} of it. */
  public record Representation(String sha256, long size, String contentType,
                               BiFunction<Long, Long, Source<ByteString, NotUsed>> body, ByteString inMemory) {
    public Representation(String sha256, long size, String contentType,
                          BiFunction<Long, Long, Source<ByteString, NotUsed>> body) {
      this(sha256, size, contentType, body, null);
    }

    /** A small object already in memory: served as strict entities, no stream machinery per request. */
    public static Representation inMemory(String sha256, String contentType, ByteString bytes) {
      return new Representation(sha256, bytes.size(), contentType,
          (offset, length) -> Source.single(bytes.slice((int) (long) offset, (int) (offset + length))), bytes);
    }

    public String etag() { return "\"" + sha256 + "\""; }
  }

  private RangedResponses() {}

  public static HttpResponse respond(HttpRequest request, Representation rep, List<HttpHeader> extraHeaders) {
    List<HttpHeader> headers = new ArrayList<>(extraHeaders);
    headers.add(RawHeader.create("ETag", rep.etag()));
    headers.add(RawHeader.create("Accept-Ranges", "bytes"));

    Optional<String> ifNoneMatch = request.getHeader("If-None-Match").map(HttpHeader::value);
    if (ifNoneMatch.isPresent() && etagListMatches(ifNoneMatch.get(), rep.sha256())) {
      return HttpResponse.create().withStatus(StatusCodes.NOT_MODIFIED).addHeaders(headers);
    }
    ContentType contentType = CONTENT_TYPES.computeIfAbsent(rep.contentType(), ContentTypes::parse);
    Optional<String> range = request.getHeader("Range").map(HttpHeader::value);
    Optional<String> ifRange = request.getHeader("If-Range").map(HttpHeader::value);
    if (ifRange.isPresent() && !ifRange.get().trim().equals(rep.etag())) range = Optional.empty();

    return switch (ByteRanges.evaluate(range, rep.size())) {
      case ByteRanges.Outcome.Whole whole -> HttpResponse.create()
          .addHeaders(headers)
          .withEntity(rep.inMemory() != null
              ? HttpEntities.create(contentType, rep.inMemory())
              : HttpEntities.create(contentType, rep.size(), rep.body().apply(0L, rep.size())));
      case ByteRanges.Outcome.Unsatisfiable none -> {
        headers.add(RawHeader.create("Content-Range", "bytes */" + rep.size()));
        yield HttpErrors.error(416, "range_not_satisfiable",
            "no requested range overlaps the " + rep.size() + " bytes of this media", headers);
      }
      case ByteRanges.Outcome.Partial partial when partial.ranges().size() == 1 -> {
        ByteRanges.Range r = partial.ranges().get(0);
        headers.add(RawHeader.create("Content-Range", r.contentRange(rep.size())));
        yield HttpResponse.create()
            .withStatus(StatusCodes.PARTIAL_CONTENT)
            .addHeaders(headers)
            .withEntity(rep.inMemory() != null
                ? HttpEntities.create(contentType, rep.inMemory().slice((int) r.first(), (int) (r.last() + 1)))
                : HttpEntities.create(contentType, r.length(), rep.body().apply(r.first(), r.length())));
      }
      case ByteRanges.Outcome.Partial partial -> multipart(rep, partial.ranges(), headers);
    };
  }

  private static HttpResponse multipart(Representation rep, List<ByteRanges.Range> ranges, List<HttpHeader> headers) {
    String boundary = "parley-" + HexFormat.of().formatHex(randomBytes());
    Source<ByteString, NotUsed> body = Source.empty();
    long length = 0;
    for (ByteRanges.Range r : ranges) {
      ByteString partHeader = ascii("\r\n--" + boundary + "\r\nContent-Type: " + rep.contentType()
          + "\r\nContent-Range: " + r.contentRange(rep.size()) + "\r\n\r\n");
      body = body.concat(Source.single(partHeader)).concat(rep.body().apply(r.first(), r.length()));
      length += partHeader.size() + r.length();
    }
    ByteString closing = ascii("\r\n--" + boundary + "--\r\n");
    body = body.concat(Source.single(closing));
    length += closing.size();
    ContentType multipartType = ContentTypes.parse("multipart/byteranges; boundary=" + boundary);
    return HttpResponse.create()
        .withStatus(StatusCodes.PARTIAL_CONTENT)
        .addHeaders(headers)
        .withEntity(HttpEntities.create(multipartType, length, body));
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  private static ByteString ascii(String s) {
    return ByteString.fromArray(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** Weak comparison as RFC 9110 asks for If-None-Match: {@code *}, or any listed tag naming this content. */
  static boolean etagListMatches(String headerValue, String sha256) {
    for (String candidate : headerValue.split(",")) {
      String tag = candidate.trim();
      if (tag.equals("*")) return true;
      if (tag.startsWith("W/")) tag = tag.substring(2);
      if (tag.equals("\"" + sha256 + "\"")) return true;
    }
    return false;
  }
}
