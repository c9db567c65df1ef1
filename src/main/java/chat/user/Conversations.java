package chat.user;

/** Canonical conversation ids of PROTOCOL.md: {@code dm:<a>:<b>} with names sorted, {@code group:<id>}. */
public final class Conversations {
  private Conversations() {}

  public static String direct(String a, String b) {
    return a.compareTo(b) <= 0 ? "dm:" + a + ":" + b : "dm:" + b + ":" + a;
  }

  /** The other member of a direct conversation, or null when {@code me} is not one of its two members. */
  public static String peerOf(String conversation, String me) {
    if (!conversation.startsWith("dm:")) return null;
    int colon = conversation.indexOf(':', 3);
    if (colon < 0) return null;
    String a = conversation.substring(3, colon);
    String b = conversation.substring(colon + 1);
    if (!direct(a, b).equals(conversation)) return null;
    if (a.equals(me)) return b;
    if (b.equals(me)) return a;
    return null;
  }
}
