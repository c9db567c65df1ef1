package chat.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Local addresses to open sockets from. One source address has at most ~28k ephemeral ports towards
 * one server port; every 127.0.0.x is a distinct source on Linux loopback without configuration, so a
 * driver on the same machine spreads its sockets over several of them. Towards a non-loopback server
 * the operating system chooses (we cannot know which local addresses route there).
 */
final class SourceAddresses {

    private final List<InetSocketAddress> addresses;

    private SourceAddresses(List<InetSocketAddress> addresses) {
        this.addresses = addresses;
    }

    static SourceAddresses plan(InetAddress target, int count) {
        if (count <= 1 || !target.isLoopbackAddress() || target.getAddress().length != 4) {
            return new SourceAddresses(List.of());
        }
        List<InetSocketAddress> list = new ArrayList<>(count);
        for (int x = 1; x <= count; x++) {
            try {
                list.add(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) x}), 0));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("a literal address cannot be unknown", e);
            }
        }
        return new SourceAddresses(List.copyOf(list));
    }

    /** @return null when the operating system should choose */
    InetSocketAddress forConnection(int index) {
        return addresses.isEmpty() ? null : addresses.get(Math.floorMod(index, addresses.size()));
    }

    int size() {
        return addresses.size();
    }
}
