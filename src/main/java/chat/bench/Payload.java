package chat.bench;

/**
 * What the driver hides in the frames it sends, so that neither the sender nor the receiver needs a
 * lookup table: the client message id carries the sender's sequence number and intended send time
 * (for send-to-ack latency), the message text carries run, sender, sequence number and intended send
 * time (for send-to-delivery latency, loss, duplicates and order). Times are nanoseconds since the
 * run's epoch on this JVM's {@link System#nanoTime()} clock, which sender and receiver share.
 */
final class Payload {

    private static final String TEXT_PREFIX = "bench ";

    private Payload() {
    }

    /** A sent message as the receiver decodes it from the text. */
    record Text(String runId, int sender, long seq, long intendedNanos) {
    }

    /** A client message id as the sender decodes it from an ack. */
    record ClientId(long seq, long intendedNanos) {
    }

    static String clientId(long seq, long intendedNanos) {
        return "m" + seq + "-" + intendedNanos;
    }

    /** @return the decoded id, or null if the id is not one this driver makes */
    static ClientId parseClientId(String id) {
        if (id == null || id.length() < 4 || id.charAt(0) != 'm') {
            return null;
        }
        int dash = id.indexOf('-', 1);
        if (dash < 0) {
            return null;
        }
        try {
            return new ClientId(Long.parseLong(id, 1, dash, 10), Long.parseLong(id, dash + 1, id.length(), 10));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static String text(String runId, int sender, long seq, long intendedNanos, int minLength) {
        StringBuilder sb = new StringBuilder(Math.max(48, minLength + 1));
        sb.append(TEXT_PREFIX).append(runId).append(' ').append(sender).append(' ').append(seq).append(' ')
                .append(intendedNanos);
        if (sb.length() < minLength) {
            sb.append(' ');
            while (sb.length() < minLength) {
                sb.append('x');
            }
        }
        return sb.toString();
    }

    /** @return the decoded text, or null if it was not written by a bench driver */
    static Text parseText(String text) {
        if (text == null || !text.startsWith(TEXT_PREFIX)) {
            return null;
        }
        String[] parts = text.split(" ", 6);
        if (parts.length < 5) {
            return null;
        }
        try {
            return new Text(parts[1], Integer.parseInt(parts[2]), Long.parseLong(parts[3]), Long.parseLong(parts[4]));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
