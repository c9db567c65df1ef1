// Where a picture or video comes from: the signed URL the server put in the message, a local
// preview while uploading, or (for own messages acked before any echo) a fetch with the token.

export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'video/mp4', 'video/webm'];

export function isVideo(media) {
  return (media?.contentType || '').startsWith('video/');
}

export class MediaSources {
  constructor(api) {
    this.api = api;
    this.fetched = new Map(); // mediaId -> Promise<object URL>
  }

  /** Calls `use(src)` now when a source is known, or later once fetched. */
  thumbnail(item, use) {
    const media = item.body?.media || {};
    if (item.localPreview) return use(item.localPreview);
    if (media.thumbnailUrl) return use(media.thumbnailUrl);
    if (media.thumbnailId) return this.viaToken(media.thumbnailId, use, () => this.full(item, use));
    if (!isVideo(media)) return this.full(item, use);
    return undefined; // a video without thumbnail: the view shows its first frame instead
  }

  full(item, use) {
    const media = item.body?.media || {};
    if (media.url) return use(media.url);
    if (item.localPreview) return use(item.localPreview);
    if (media.mediaId) return this.viaToken(media.mediaId, use);
    return undefined;
  }

  viaToken(mediaId, use, otherwise = () => {}) {
    if (!this.fetched.has(mediaId)) this.fetched.set(mediaId, this.api.mediaObjectUrl(mediaId));
    this.fetched.get(mediaId).then(use, () => {
      this.fetched.delete(mediaId); // try again next time it is shown
      otherwise();
    });
  }

  release() {
    for (const pending of this.fetched.values()) pending.then((url) => URL.revokeObjectURL(url), () => {});
    this.fetched.clear();
  }
}
