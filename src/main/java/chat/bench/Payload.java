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
    record ClientId(String runId, long seq, long intendedNanos) {
    }

    /**
     * The run id is part of the client id because the server treats a repeated id from the same user as
     * an idempotent resend: a later run over the same accounts (--user-prefix) at the same rate would
     * otherwise produce the very same ids and get old acks instead of new messages.
     */
    static String clientId(String runId, long seq, long intendedNanos) {
        return runId + "." + seq + "." + intendedNanos;
    }

    /** @return the decoded id, or null if the id is not one this driver makes */
    static ClientId parseClientId(String id) {
        if (id == null) {
            return null;
        }
        int first = id.indexOf('.');
        int second = first < 0 ? -1 : id.indexOf('.', first + 1);
        if (first <= 0 || second < 0) {
            return null;
        }
        try {
            return new ClientId(id.substring(0, first), Long.parseLong(id, first + 1, second, 10),
                    Long.parseLong(id, second + 1, id.length(), 10));
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
