package chat.hashing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Property tests of the ring; every random choice comes from a fixed seed, so failures reproduce. */
class HashRingTest {

    static List<String> nodeIds(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> ids = new ArrayList<>();
        while (ids.size() < n) {
            String id = "10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + ":2552";
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** A ring with the default settings (nearest point, one probe). */
    static HashRing ring(List<String> ids) {
        HashRing.Builder b = HashRing.builder();
        ids.forEach(b::node);
        return b.build();
    }

    static HashRing ring(List<String> ids, HashRing.Direction direction) {
        HashRing.Builder b = HashRing.builder().direction(direction);
        ids.forEach(b::node);
        return b.build();
    }

    static long[] keys(int count, long seed) {
        return RingBalanceReport.randomKeys(count, seed);
    }

    /**
     * Any change to the mapping (hash, point naming, sort order, probes, tie-breaking) changes these
     * and fails the build: a changed mapping would move every key of a running cluster on upgrade.
     */
    @ParameterizedTest
    @CsvSource({
            "MURMUR3, NEAREST, ee241ba4705a12a4",
            "MURMUR3, CLOCKWISE, d40e8afd57ba9ca8",
            "SHA256, NEAREST, 49c56963db4aa669",
    })
    void pinnedChecksumOverAMillionLookups(RingHash hash, HashRing.Direction direction, String expected) {
        HashRing.Builder b = HashRing.builder().hash(hash).direction(direction);
        for (int i = 0; i < 100; i++) {
            b.node("node-" + i);
        }
        HashRing ring = b.build();
        long checksum = 0;
        for (int i = 1; i <= 1_000_000; i++) {
            // keys from our own mixer, not a JDK random generator, so nothing outside this repo can shift them
            checksum = checksum * 31 + ring.nodeOf(Murmur3.fmix64(i)).hashCode();
        }
        assertEquals(expected, Long.toHexString(checksum),
                "checksum of " + hash + ", " + direction);
    }

    /**
     * A straightforward re-implementation over every point of every node, no index: the first point
     * clockwise at or after the key (ties: lowest id), or, for the nearest rule, the point strictly
     * before the key (ties: highest id) when the key is within its half of the gap to the next point
     * (rounded down to a multiple of 2^16).
     */
    static String bruteForceOwner(List<String> sortedIds, long[][] positions, HashRing.Direction direction, long key) {
        int after = -1;
        long afterPoint = 0;
        int before = -1;
        long beforePoint = 0;
        for (int n = 0; n < sortedIds.size(); n++) {
            for (long p : positions[n]) {
                if (after < 0 || Long.compareUnsigned(p - key, afterPoint - key) < 0) {
                    after = n;
                    afterPoint = p;
                }
                // strictly before: distance key - p in 1..2^64-1, so compare key - p - 1
                if (before < 0 || Long.compareUnsigned(key - p - 1, key - beforePoint - 1) <= 0) {
                    before = n;
                    beforePoint = p;
                }
            }
        }
        if (direction == HashRing.Direction.CLOCKWISE) {
            return sortedIds.get(after);
        }
        long halfGap = ((afterPoint - beforePoint) >>> 1) & ~0xFFFFL;
        return sortedIds.get(Long.compareUnsigned(key - beforePoint, halfGap) <= 0 ? before : after);
    }

    @ParameterizedTest
    @CsvSource({"NEAREST, 1", "NEAREST, 2", "CLOCKWISE, 3"})
    void lookupAgreesWithBruteForceIncludingWrapAroundAndExactPoints(HashRing.Direction direction, long seed) {
        List<String> ids = nodeIds(7, seed);
        HashRing ring = ring(ids, direction);
        List<Long> probe = new ArrayList<>(List.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L, 0xFFFFL, 0x10000L));
        for (String id : ids) {
            long position = RingHash.MURMUR3.hash(id + "#3") & ~0xFFFFL;
            probe.addAll(List.of(position, position - 1, position + 1, position + 0xFFFF, position + 0x10000));
        }
        // exact midpoints between neighbouring points: the nearest rule's ties
        List<Long> all = new ArrayList<>();
        for (String id : ids) {
            for (int i = 0; i < 160; i++) {
                all.add(RingHash.MURMUR3.hash(id + "#" + i) & ~0xFFFFL);
            }
        }
        all.sort(Long::compareUnsigned);
        for (int i = 0; i < all.size(); i += 37) {
            long a = all.get(i);
            long b = all.get((i + 1) % all.size());
            long mid = a + (((b - a) >>> 1) & ~0xFFFFL);
            probe.addAll(List.of(mid - 1, mid, mid + 1, a + ((b - a) >>> 1)));
        }
        for (long k : keys(1500, 9)) {
            probe.add(k);
        }
        List<String> sorted = new ArrayList<>(ids);
        Collections.sort(sorted);
        long[][] positions = new long[sorted.size()][160];
        for (int n = 0; n < sorted.size(); n++) {
            for (int i = 0; i < 160; i++) {
                positions[n][i] = RingHash.MURMUR3.hash(sorted.get(n) + "#" + i) & ~0xFFFFL;
            }
        }
        for (long k : probe) {
            assertEquals(bruteForceOwner(sorted, positions, direction, k), ring.nodeOf(k),
                    "key " + Long.toHexString(k));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void sameMembershipInAnyInsertionOrderGivesTheSameMapping(long seed) {
        List<String> ids = nodeIds(50, seed);
        HashRing reference = ring(ids);
        List<String> shuffled = new ArrayList<>(ids);
        Collections.shuffle(shuffled, new Random(seed));
        HashRing grown = HashRing.builder().node(shuffled.get(0)).build();
        for (String id : shuffled.subList(1, shuffled.size())) {
            grown = grown.withNode(id);
        }
        // a detour through an extra node and back must not matter either
        HashRing detour = ring(shuffled).withNode("10.9.9.9:2552").withoutNode("10.9.9.9:2552");
        for (long k : keys(100_000, seed)) {
            String expected = reference.nodeOf(k);
            assertEquals(expected, grown.nodeOf(k));
            assertEquals(expected, detour.nodeOf(k));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {4, 5, 6})
    void everyAnswerIsALiveNodeAfterRandomMembershipChanges(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> pool = nodeIds(40, seed);
        HashRing ring = HashRing.builder().node(pool.get(0)).build();
        for (int step = 0; step < 30; step++) {
            String id = pool.get(rnd.nextInt(pool.size()));
            ring = ring.contains(id) && ring.size() > 1 ? ring.withoutNode(id) : ring.withNode(id);
            var live = new HashSet<>(ring.nodes());
            for (long k : keys(2_000, seed * 100 + step)) {
                assertTrue(live.contains(ring.nodeOf(k)));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"10, 20, 100000", "100, 10, 100000", "1000, 3, 200000"})
    void addingANodeMovesKeysOnlyToItAndAboutOneOverNPlusOneOfThem(int n, int trials, int keyCount) {
        long[] keys = keys(keyCount, 77);
        // spread of the new node's share: points (nearest point ~ 320 points) and key sampling
        double cv = Math.sqrt(1.0 / 320 + (n + 1.0) / keys.length);
        double optimum = 1.0 / (n + 1);
        double sum = 0;
        for (int t = 0; t < trials; t++) {
            List<String> ids = nodeIds(n + 1, 1000L * n + t);
            HashRing before = ring(ids.subList(0, n));
            String newcomer = ids.get(n);
            HashRing after = before.withNode(newcomer);
            int moved = 0;
            for (long k : keys) {
                String was = before.nodeOf(k);
                String now = after.nodeOf(k);
                if (!was.equals(now)) {
                    assertEquals(newcomer, now, "a key moved between two old nodes");
                    moved++;
                }
            }
            double fraction = moved / (double) keys.length;
            assertTrue(Math.abs(fraction / optimum - 1) < 6 * cv,
                    "trial " + t + ": moved " + fraction + ", optimum " + optimum);
            sum += fraction;
            // and taking the node away again restores every key exactly
            HashRing back = after.withoutNode(newcomer);
            for (int i = 0; i < keys.length; i += 97) {
                assertEquals(before.nodeOf(keys[i]), back.nodeOf(keys[i]));
            }
        }
        double mean = sum / trials / optimum;
        assertTrue(Math.abs(mean - 1) < 4 * cv / Math.sqrt(trials), "mean moved / optimum = " + mean);
    }

    @Test
    void removingANodeMovesOnlyItsKeys() {
        List<String> ids = nodeIds(20, 8);
        HashRing before = ring(ids);
        String leaving = ids.get(5);
        HashRing after = before.withoutNode(leaving);
        int moved = 0;
        for (long k : keys(100_000, 8)) {
            String was = before.nodeOf(k);
            if (was.equals(leaving)) {
                moved++;
                assertNotEquals(leaving, after.nodeOf(k));
            } else {
                assertEquals(was, after.nodeOf(k));
            }
        }
        assertTrue(moved > 0);
    }

    @Test
    void weightsGiveProportionalShares() {
        HashRing.Builder b = HashRing.builder();
        List<String> ids = nodeIds(30, 12);
        double[] weightOfClass = {1, 2, 4};
        for (int i = 0; i < ids.size(); i++) {
            b.node(ids.get(i), weightOfClass[i % 3]);
        }
        HashRing ring = b.build();
        long[] classKeys = new long[3];
        long[] keys = keys(1_000_000, 12);
        for (long k : keys) {
            classKeys[ids.indexOf(ring.nodeOf(k)) % 3]++;
        }
        for (int c = 0; c < 3; c++) {
            double share = classKeys[c] / (double) keys.length;
            double expected = weightOfClass[c] / 7.0;
            // ten nodes per class: spread about 1.8% of the share; 8% is over four of those
            assertTrue(Math.abs(share / expected - 1) < 0.08, "weight " + weightOfClass[c] + ": share " + share);
        }
    }

    @Test
    void replicasAreDistinctStartAtTheOwnerAndOnlyGrowAsKGrows() {
        List<String> ids = nodeIds(12, 13);
        HashRing ring = ring(ids);
        for (long k : keys(2_000, 13)) {
            List<String> all = ring.replicasOf(k, 20);
            assertEquals(12, all.size(), "k beyond the ring size gives every node once");
            assertEquals(12, new HashSet<>(all).size());
            assertEquals(ring.nodeOf(k), all.get(0));
            for (int kk = 1; kk <= 12; kk++) {
                assertEquals(all.subList(0, kk), ring.replicasOf(k, kk));
            }
        }
    }

    @Test
    void aSnapshotNeverChangesWhenANewOneIsDerived() {
        HashRing ring = ring(nodeIds(5, 14));
        List<String> before = List.copyOf(ring.nodes());
        HashRing bigger = ring.withNode("10.1.1.1:2552");
        assertEquals(before, ring.nodes());
        assertEquals(6, bigger.size());
        assertSame(ring, ring.withoutNode("not-a-member"));
    }

    @Test
    void liveRingSwapsWholeSnapshots() {
        LiveRing live = new LiveRing(ring(List.of("a:1", "b:1")));
        HashRing old = live.snapshot();
        live.update(r -> r.withNode("c:1"));
        assertEquals(2, old.size());
        assertEquals(3, live.snapshot().size());
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HashRing.builder().build())
                .getMessage().contains("at least one node"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HashRing.builder().node("a", 0))
                .getMessage().contains("positive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HashRing.builder().node("a", Double.NaN))
                .getMessage().contains("positive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HashRing.builder().node(""))
                .getMessage().contains("non-empty"));
        HashRing one = HashRing.builder().node("only").build();
        assertThrows(IllegalArgumentException.class, () -> one.withoutNode("only"));
    }
}
