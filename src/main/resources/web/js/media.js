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

  /** Whether the bubble shows a picture (else a video's first frame). */
  hasThumbnail(item) {
    const media = item.body?.media || {};
    return !isVideo(media) || Boolean(media.thumbnailUrl || (media.thumbnailId && !item.localPreview));
  }

  /** Calls `use(src)` now when a source is known, or later once fetched. */
  thumbnail(item, use) {
    const media = item.body?.media || {};
    const video = isVideo(media);
    if (item.localPreview && !video) return use(item.localPreview);
    if (media.thumbnailUrl) return use(media.thumbnailUrl);
    if (media.thumbnailId) return this.viaToken(media.thumbnailId, use, () => !video && this.full(item, use));
    if (!video) return this.full(item, use);
    return undefined;
  }

  /** A signed URL can expire (or the thumbnail be missing): fetch once more with the token. */
  recover(item, element, { thumbnail = false } = {}) {
    element.addEventListener('error', () => {
      if (element.dataset.recovered) return;
      element.dataset.recovered = 'yes';
      const media = item.body?.media || {};
      const id = thumbnail && media.thumbnailId ? media.thumbnailId : media.mediaId;
      if (id) this.viaToken(id, (src) => { element.src = src; });
    });
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
