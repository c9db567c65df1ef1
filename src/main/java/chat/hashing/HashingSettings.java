package chat.hashing;

import com.typesafe.config.Config;

/**
 * The {@code parley.hashing} knobs (documented in {@code reference-hashing.conf}).
 *
 * @param hash                 how node ids and keys become ring points
 * @param virtualNodes         ring points per node of weight 1
 * @param direction            nearest point on either side, or the first clockwise (seed's ring)
 * @param loadFactor           bounded-load factor c: no node above ceil(c * average)
 * @param shardRebalanceLimit  most shards in flight between regions per rebalance round
 */
public record HashingSettings(RingHash hash, int virtualNodes, HashRing.Direction direction,
                              double loadFactor,
                              int shardRebalanceLimit) {

    public static final HashingSettings DEFAULTS = new HashingSettings(RingHash.MURMUR3, 160, HashRing.Direction.NEAREST, 1.25, 10);

    public HashingSettings {
        if (virtualNodes < 1 || virtualNodes > 1 << 16) {
            throw new IllegalArgumentException("parley.hashing.virtual-nodes must be in 1..65536, got " + virtualNodes);
        }
        if (!(loadFactor >= 1.0) || Double.isInfinite(loadFactor)) {
            throw new IllegalArgumentException("parley.hashing.load-factor must be a number >= 1.0, got " + loadFactor);
        }
        if (shardRebalanceLimit < 1) {
            throw new IllegalArgumentException(
                    "parley.hashing.shard-allocation.rebalance-limit must be >= 1, got " + shardRebalanceLimit);
        }
    }

    /** Reads {@code parley.hashing} from a config that includes {@code reference-hashing.conf}. */
    public static HashingSettings fromConfig(Config root) {
        Config c = root.getConfig("parley.hashing");
        return new HashingSettings(
                RingHash.fromName(c.getString("hash-function")),
                c.getInt("virtual-nodes"),
                HashRing.Direction.fromName(c.getString("direction")),
                c.getDouble("load-factor"),
                c.getInt("shard-allocation.rebalance-limit"));
    }

    public HashRing.Builder ringBuilder() {
        return HashRing.builder().hash(hash).virtualNodes(virtualNodes).direction(direction);
    }
}
