package chat.hashing;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * The current ring of a changing membership. Readers take {@link #snapshot()} (one volatile read)
 * and do any number of lookups on it; writers swap in a new immutable snapshot atomically, so a
 * reader never sees half of a change and never waits for a writer.
 */
public final class LiveRing {
    private final AtomicReference<HashRing> current;

    public LiveRing(HashRing initial) {
        this.current = new AtomicReference<>(initial);
    }

    public HashRing snapshot() {
        return current.get();
    }

    /** Applies {@code change} atomically (retried if another writer got there first). */
    public HashRing update(UnaryOperator<HashRing> change) {
        return current.updateAndGet(change);
    }

    public String nodeOf(String key) {
        return current.get().nodeOf(key);
    }
}
