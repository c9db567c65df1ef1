package chat.edge;

/**
 * What the edge knows about one cached object. The freshness fields are mutable so that a revalidation (304)
 * refreshes the object in both tiers without rewriting its bytes.
 */
final class CachedObject {
  final String key;
  final String sha256;
  final long size;
  final String contentType;
  private volatile long fetchedAtMillis;
  private volatile long ageAtFetchSeconds;

  CachedObject(String key, String sha256, long size, String contentType, long fetchedAtMillis, long ageAtFetchSeconds) {
    this.key = key;
    this.sha256 = sha256;
    this.size = size;
    this.contentType = contentType;
    this.fetchedAtMillis = fetchedAtMillis;
    this.ageAtFetchSeconds = ageAtFetchSeconds;
  }

  long fetchedAtMillis() { return fetchedAtMillis; }

  long ageAtFetchSeconds() { return ageAtFetchSeconds; }

  /** Seconds since the origin produced this copy: upstream's Age plus time spent here. */
  long ageSeconds(long nowMillis) {
    return ageAtFetchSeconds + Math.max(0, nowMillis - fetchedAtMillis) / 1000;
  }

  void refreshed(long nowMillis, long upstreamAgeSeconds) {
    this.fetchedAtMillis = nowMillis;
    this.ageAtFetchSeconds = upstreamAgeSeconds;
  }
}
