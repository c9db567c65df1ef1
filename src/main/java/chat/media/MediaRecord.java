package chat.media;

/** One upload's metadata; the thumbnail columns are null when there is no thumbnail. */
record MediaRecord(
    String mediaId,
    String ownerId,
    String sha256,
    MediaKind kind,
    long size,
    Integer width,
    Integer height,
    Long durationMs,
    String thumbnailSha256,
    Long thumbnailSize,
    long createdAt) {

  boolean hasThumbnail() { return thumbnailSha256 != null; }
}
