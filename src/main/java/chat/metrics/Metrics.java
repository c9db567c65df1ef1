package chat.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * Counters and gauges rendered in the Prometheus text format at {@code GET /metrics}: one registry
 * per actor system, so that parts the framework builds itself (the journal's DAO) report into it too.
 */
public final class Metrics implements Extension {
  private record Help(String name, String type, String help) {}

  private static final class Id extends AbstractExtensionId<Metrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public Metrics createExtension(ExtendedActorSystem system) {
      return new Metrics();
    }
  }

  public static Metrics of(ClassicActorSystemProvider system) {
    return Id.INSTANCE.get(system.classicSystem());
  }

  private Metrics() {}

  private final Map<String, LongAdder> counters = new ConcurrentSkipListMap<>();
  private final Map<String, LongSupplier> gauges = new ConcurrentSkipListMap<>();
  private final Map<String, Help> help = new ConcurrentSkipListMap<>();

  /** A counter; {@code labels} like {@code code="invalid"}, or empty. */
  public LongAdder counter(String name, String labels, String description) {
    help.putIfAbsent(name, new Help(name, "counter", description));
    return counters.computeIfAbsent(series(name, labels), k -> new LongAdder());
  }

  public void gauge(String name, String description, LongSupplier value) {
    help.putIfAbsent(name, new Help(name, "gauge", description));
    gauges.put(name, value);
  }

  public String render() {
    StringBuilder out = new StringBuilder(1024);
    for (Help h : help.values()) {
      out.append("# HELP ").append(h.name()).append(' ').append(h.help()).append('\n');
      out.append("# TYPE ").append(h.name()).append(' ').append(h.type()).append('\n');
      if (h.type().equals("gauge")) {
        out.append(h.name()).append(' ').append(gauges.get(h.name()).getAsLong()).append('\n');
      } else {
        counters.forEach((series, value) -> {
          if (series.equals(h.name()) || series.startsWith(h.name() + "{")) out.append(series).append(' ').append(value.sum()).append('\n');
        });
      }
    }
    return out.toString();
  }

  private static String series(String name, String labels) {
    return labels == null || labels.isEmpty() ? name : name + "{" + labels + "}";
  }
}
