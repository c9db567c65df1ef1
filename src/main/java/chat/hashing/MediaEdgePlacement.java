package chat.hashing;

import java.util.Collection;
import java.util.List;

/**
 * Which edge cache nodes hold a media object: the same ring as shard placement, keyed by media id.
 * The first edge is the one clients are sent to (its cache is warm for that id); the next ones are
 * where a push (pre-warm) also goes, and where clients fall back when the first is down. Edges are
 * identified by their base URL (or any string every node agrees on). Safe for concurrent use.
 */
public final class MediaEdgePlacement {
    private final LiveRing ring;
    private final HashingSettings settings;

    public MediaEdgePlacement(HashingSettings settings, Collection<String> edges) {
        this.settings = settings;
        this.ring = new LiveRing(HashRing.of(settings, edges));
    }

    /** The edge that serves {@code mediaId}. */
    public String edgeFor(String mediaId) {
        return ring.nodeOf(mediaId);
    }

    /** The first {@code k} distinct edges for {@code mediaId}, primary first. */
    public List<String> edgesFor(String mediaId, int k) {
        return ring.snapshot().replicasOf(mediaId, k);
    }

    /** Replaces the edge set; only media whose edge changed move (about 1/(n+1) on an addition). */
    public void setEdges(Collection<String> edges) {
        if (edges.isEmpty()) {
            throw new IllegalArgumentException("at least one edge is required");
        }
        ring.update(r -> r.withMembers(edges));
    }

    public List<String> edges() {
        return ring.snapshot().nodes();
    }

    public HashingSettings settings() {
        return settings;
    }
}
