package chat.edge;

import java.util.List;

/**
 * Which edge of a CDN tier owns a cache key. Swappable: the project's consistent-hash ring ({@code chat.hashing})
 * implements this in {@link RingPlacement}.
 */
public interface EdgePlacement {
  /** Base URL of the edge that owns {@code key}; one of {@link #nodes()}. */
  String ownerOf(String key);

  List<String> nodes();
}
