package chat.media;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Parses and normalises an HTTP {@code Range: bytes=...} header against a known representation length. */
public final class ByteRanges {
  /** An inclusive byte range {@code first..last}. */
  public record Range(long first, long last) {
    public long length() { return last - first + 1; }
    public String contentRange(long size) { return "bytes " + first + "-" + last + "/" + size; }
  }

  /** What to do with a Range header. */
  public sealed interface Outcome {
    /** No (usable) range: send the whole representation with 200. */
    record Whole() implements Outcome {}
    /** Send 206 with these ranges, sorted and merged. */
    record Partial(List<Range> ranges) implements Outcome {}
    /** 416: no range overlaps the representation. */
    record Unsatisfiable() implements Outcome {}
  }

  /** Limits the work a hostile header can cause; more ranges than this are answered with the whole body. */
  static final int MAX_RANGES = 16;

  private ByteRanges() {}

  public static Outcome evaluate(Optional<String> header, long size) {
    if (header.isEmpty()) return new Outcome.Whole();
    String value = header.get().trim();
    if (!value.regionMatches(true, 0, "bytes=", 0, 6)) return new Outcome.Whole();
    String[] specs = value.substring(6).split(",");
    if (specs.length > MAX_RANGES) return new Outcome.Whole();
    List<Range> ranges = new ArrayList<>();
    for (String raw : specs) {
      String spec = raw.trim();
      int dash = spec.indexOf('-');
      if (dash < 0) return new Outcome.Whole();
      String from = spec.substring(0, dash).trim();
      String to = spec.substring(dash + 1).trim();
      try {
        if (from.isEmpty()) {
          if (to.isEmpty()) return new Outcome.Whole();
          long suffix = Long.parseLong(to);
          if (suffix < 0) return new Outcome.Whole();
          if (suffix == 0 || size == 0) continue;
          ranges.add(new Range(Math.max(0, size - suffix), size - 1));
        } else {
          long first = Long.parseLong(from);
          long last = to.isEmpty() ? Long.MAX_VALUE : Long.parseLong(to);
          if (first < 0 || last < first) return new Outcome.Whole();
          if (first >= size) continue;
          ranges.add(new Range(first, Math.min(last, size - 1)));
        }
      } catch (NumberFormatException malformed) {
        return new Outcome.Whole();
      }
    }
    if (ranges.isEmpty()) return new Outcome.Unsatisfiable();
    ranges.sort(Comparator.comparingLong(Range::first));
    List<Range> merged = new ArrayList<>();
    for (Range r : ranges) {
      Range previous = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (previous != null && r.first() <= previous.last() + 1) {
        merged.set(merged.size() - 1, new Range(previous.first(), Math.max(previous.last(), r.last())));
      } else {
        merged.add(r);
      }
    }
    return new Outcome.Partial(List.copyOf(merged));
  }
}
