package chat.bench;

/** A run that cannot go on, with a message meant for the person at the terminal (no stack trace). */
final class BenchFailure extends Exception {
    BenchFailure(String message) {
        super(message);
    }
}
