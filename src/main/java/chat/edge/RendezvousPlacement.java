package chat.edge;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Highest-random-weight (rendezvous) hashing: each key goes to the node with the largest hash(node, key). Adding
 * a node moves exactly the keys that node now wins, about 1/(n+1) of them, and nothing else.
 */
public final class RendezvousPlacement implements EdgePlacement {
  private final List<String> nodes;
  private final long[] nodeSeeds;

  public RendezvousPlacement(List<String> nodes) {
    if (nodes.isEmpty()) throw new IllegalArgumentException("placement needs at least one edge");
    this.nodes = List.copyOf(nodes);
    this.nodeSeeds = nodes.stream().mapToLong(n -> fnv1a(n.getBytes(StandardCharsets.UTF_8))).toArray();
  }

  @Override
  public String ownerOf(String key) {
    long keyHash = fnv1a(key.getBytes(StandardCharsets.UTF_8));
    int best = 0;
    long bestScore = Long.MIN_VALUE;
    for (int i = 0; i < nodeSeeds.length; i++) {
      long score = mix(keyHash ^ nodeSeeds[i]);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return nodes.get(best);
  }

  @Override
  public List<String> nodes() { return nodes; }

  private static long fnv1a(byte[] bytes) {
    long h = 0xcbf29ce484222325L;
    for (byte b : bytes) {
      h ^= b & 0xFF;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** SplitMix64 finaliser: spreads the xor of two FNV hashes over all 64 bits. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
