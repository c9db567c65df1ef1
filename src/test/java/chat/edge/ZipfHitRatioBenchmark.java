package chat.edge;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Hit ratio of the edge's memory tier policy (Caffeine W-TinyLFU, byte-weighted, as configured in EdgeCache)
 * against plain LRU with the same byte budget, on a Zipf-distributed request trace over objects of mixed sizes.
 * Run: {@code java -cp target/test-classes:target/classes:$(cat cp.txt) chat.edge.ZipfHitRatioBenchmark}
 */
public final class ZipfHitRatioBenchmark {
  public static void main(String[] args) {
    int objects = 50_000;
    int requests = 2_000_000;
    double[] exponents = {0.8, 0.9, 1.0};
    double[] budgetShares = {0.01, 0.05, 0.10};
    Random random = new Random(2026);
    int[] sizes = new int[objects];
    long totalBytes = 0;
    for (int i = 0; i < objects; i++) {
      // log-uniform sizes 1 KiB .. 1 MiB: thumbnails through photos
      sizes[i] = (int) Math.round(1024 * Math.pow(1024, random.nextDouble()));
      totalBytes += sizes[i];
    }
    System.out.printf("objects=%d requests=%d total=%.1f MiB%n", objects, requests, totalBytes / 1048576.0);
    System.out.println("zipf_s budget  tinylfu_hit  lru_hit  tinylfu_byte_hit  lru_byte_hit");
    for (double s : exponents) {
      int[] trace = zipfTrace(objects, requests, s, new Random(7));
      for (double share : budgetShares) {
        long budget = (long) (totalBytes * share);
        double[] tiny = tinyLfu(trace, sizes, budget);
        double[] lru = lru(trace, sizes, budget);
        System.out.printf("%.1f    %4.0f%%   %.4f      %.4f   %.4f           %.4f%n",
            s, share * 100, tiny[0], lru[0], tiny[1], lru[1]);
      }
    }
  }

  /** Object ranks drawn from Zipf(s); ranks are shuffled onto ids so popularity does not follow size. */
  static int[] zipfTrace(int n, int length, double s, Random random) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += 1.0 / Math.pow(k + 1, s);
      cdf[k] = sum;
    }
    int[] idOfRank = new int[n];
    for (int i = 0; i < n; i++) idOfRank[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = idOfRank[i];
      idOfRank[i] = idOfRank[j];
      idOfRank[j] = t;
    }
    int[] trace = new int[length];
    for (int i = 0; i < length; i++) {
      int rank = Arrays.binarySearch(cdf, random.nextDouble() * sum);
      trace[i] = idOfRank[rank < 0 ? -rank - 1 : rank];
    }
    return trace;
  }

  static double[] tinyLfu(int[] trace, int[] sizes, long budget) {
    Cache<Integer, Integer> cache = Caffeine.newBuilder()
        .maximumWeight(budget)
        .weigher((Integer key, Integer size) -> size)
        .executor(Runnable::run) // deterministic: maintenance on the calling thread
        .build();
    long hits = 0, hitBytes = 0, bytes = 0;
    for (int id : trace) {
      bytes += sizes[id];
      if (cache.getIfPresent(id) != null) {
        hits++;
        hitBytes += sizes[id];
      } else {
        cache.put(id, sizes[id]);
      }
    }
    return new double[] {(double) hits / trace.length, (double) hitBytes / bytes};
  }

  static double[] lru(int[] trace, int[] sizes, long budget) {
    long[] used = {0};
    LinkedHashMap<Integer, Integer> cache = new LinkedHashMap<>(16, 0.75f, true);
    long hits = 0, hitBytes = 0, bytes = 0;
    for (int id : trace) {
      bytes += sizes[id];
      if (cache.get(id) != null) {
        hits++;
        hitBytes += sizes[id];
        continue;
      }
      if (sizes[id] > budget) continue;
      cache.put(id, sizes[id]);
      used[0] += sizes[id];
      var it = cache.entrySet().iterator();
      while (used[0] > budget && it.hasNext()) {
        Map.Entry<Integer, Integer> eldest = it.next();
        used[0] -= eldest.getValue();
        it.remove();
      }
    }
    return new double[] {(double) hits / trace.length, (double) hitBytes / bytes};
  }
}
