package chat.edge;

import chat.hashing.HashingSettings;
import chat.hashing.MediaEdgePlacement;
import java.util.List;

/** Edges own media ids by the project's consistent-hash ring ({@code chat.hashing}): adding an edge moves only its share. */
public final class RingPlacement implements EdgePlacement {
  private final MediaEdgePlacement ring;

  public RingPlacement(HashingSettings settings, List<String> nodes) {
    if (nodes.isEmpty()) throw new IllegalArgumentException("placement needs at least one edge");
    this.ring = new MediaEdgePlacement(settings, nodes);
  }

  public RingPlacement(List<String> nodes) {
    this(HashingSettings.DEFAULTS, nodes);
  }

  @Override
  public String ownerOf(String key) {
    return ring.edgeFor(key);
  }

  @Override
  public List<String> nodes() {
    return ring.edges();
  }
}
