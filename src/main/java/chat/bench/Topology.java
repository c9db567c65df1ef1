package chat.bench;

/**
 * Who talks to whom. Users are numbered 0..n-1; every user is a sender, and the receivers of a user's
 * messages are exactly the users who send to it, so one peer list serves both directions.
 */
sealed interface Topology {

    /** The users that receive {@code user}'s messages (and whose messages {@code user} receives). */
    int[] peers(int user);

    /** Position of {@code sender} in {@code receiver}'s peer list, or -1 if it is not a peer. */
    int slot(int receiver, int sender);

    /** Users 2k and 2k+1 talk to each other. */
    record Pairs(int users) implements Topology {
        @Override
        public int[] peers(int user) {
            return new int[] {user ^ 1};
        }

        @Override
        public int slot(int receiver, int sender) {
            return sender == (receiver ^ 1) && sender >= 0 && sender < users ? 0 : -1;
        }
    }

    /** Users [g*size, (g+1)*size) form group g; every member sends to the group. */
    record Groups(int users, int size) implements Topology {
        int groupOf(int user) {
            return user / size;
        }

        int firstMember(int group) {
            return group * size;
        }

        @Override
        public int[] peers(int user) {
            int first = firstMember(groupOf(user));
            int[] peers = new int[size - 1];
            int k = 0;
            for (int m = first; m < first + size; m++) {
                if (m != user) {
                    peers[k++] = m;
                }
            }
            return peers;
        }

        @Override
        public int slot(int receiver, int sender) {
            if (sender < 0 || sender >= users || sender == receiver || groupOf(sender) != groupOf(receiver)) {
                return -1;
            }
            int offset = sender - firstMember(groupOf(receiver));
            return sender < receiver ? offset : offset - 1;
        }
    }

    /** Nobody sends: idle connections. */
    record Nobody() implements Topology {
        @Override
        public int[] peers(int user) {
            return new int[0];
        }

        @Override
        public int slot(int receiver, int sender) {
            return -1;
        }
    }
}
