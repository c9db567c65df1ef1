package chat.edge;

import java.util.List;

/**
 * Which edge of a CDN tier owns a cache key. Swappable: the project's consistent-hash ring ({@code chat.hashing})
 * will implement this; {@link RendezvousPlacement} stands in until then.
 */
public interface EdgePlacement {
  /** Base URL of the edge that owns {@code key}; one of {@link #nodes()}. */
  String ownerOf(String key);

  List<String> nodes();
}
