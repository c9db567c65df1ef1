package chat.bench;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The driver's XMPP side, so that a reference server (ejabberd) can be measured with the same
 * traffic, pacing and accounting as Parley, on the same machine in the same run. It speaks
 * XMPP over WebSocket (RFC 7395: one stanza per WebSocket message) just far enough for chat:
 * in-band registration (XEP-0077; an existing account is fine), SASL PLAIN, resource binding,
 * initial presence, then {@code <message type='chat'>} to the peer's full JID. In group mode each
 * member also joins its group's room (XEP-0045, multi-user chat, at {@code conference.<domain>},
 * with its user name as nickname) and sends {@code <message type='groupchat'>} to the room.
 *
 * <p>Plain XMPP has no acks: the run counts a message as acked once it is on the wire, and with
 * {@code --rate 0} a sender's window refills when its message arrives (in a room: when the room
 * reflects it back to the sender) instead of when it is acked.
 */
final class XmppClient {

    static final String RESOURCE = "bench";
    private static final String FRAMING_NS = "urn:ietf:params:xml:ns:xmpp-framing";
    private static final String REGISTER_ID = "reg";
    private static final String BIND_ID = "bind";
    private static final XMLInputFactory XML = xmlFactory();

    /** Where a socket is in the handshake; each user's stage is touched only by its socket's thread. */
    enum Stage { OPENING, REGISTERING, AUTHENTICATING, RESTARTING, BINDING, JOINING, READY }

    /** One top-level element: its name, attributes, the names of all elements inside, and its body text. */
    record Stanza(String name, Map<String, String> attributes, Set<String> children, String body) {
        String attribute(String key) {
            return attributes.getOrDefault(key, "");
        }

        /** The defined condition(s) of an error stanza, for example {@code service-unavailable}. */
        String errorCondition() {
            return String.join(",", new java.util.TreeSet<>(children.stream()
                    .filter(c -> !c.equals("error") && !c.equals("body") && !c.equals("text")).toList()));
        }
    }

    private final String domain;
    private final String roomDomain;
    private final String password;
    private final boolean rooms;
    private final Stage[] stages;
    private final Consumer<String> errors;

    /** @param rooms whether users chat in rooms (each user's {@code targetUser} names its room) */
    XmppClient(String domain, String password, int users, boolean rooms, Consumer<String> errors) {
        this.domain = domain;
        this.roomDomain = "conference." + domain;
        this.password = password;
        this.rooms = rooms;
        this.stages = new Stage[users];
        this.errors = errors;
    }

    /** Opens the stream once the WebSocket is up; the server's features drive the rest. */
    void start(BenchUser user) {
        stages[user.index] = Stage.OPENING;
        user.send(open());
    }

    /** A message to {@code target}: the peer's user name, or in group mode the room's name. */
    String message(String target, String id, String text) {
        String to = rooms ? target + "@" + roomDomain : target + "@" + domain + "/" + RESOURCE;
        return "<message xmlns='jabber:client' to='" + to + "' id='" + escape(id) + "' type='"
                + (rooms ? "groupchat" : "chat") + "'><body>" + escape(text) + "</body></message>";
    }

    /** Who wrote a message: the localpart of a 1:1 sender, the nickname (= user name) in a room. */
    static String author(Stanza message) {
        String from = message.attribute("from");
        if (message.attribute("type").equals("groupchat")) {
            int slash = from.indexOf('/');
            return slash < 0 ? "" : from.substring(slash + 1);
        }
        return localpart(from);
    }

    /**
     * Handles one server frame for {@code user}: answers the handshake, and completes the user's
     * {@code hello} (with 0: XMPP has no update stream) once it may chat.
     *
     * @return the stanza if it is a message for the traffic to book, null otherwise
     */
    Stanza onFrame(BenchUser user, String frame) {
        Stanza fast = plainMessage(frame);
        if (fast != null) {
            return fast;
        }
        Stanza s;
        try {
            s = parse(frame);
        } catch (XMLStreamException e) {
            errors.accept("xmpp:not_xml");
            return null;
        }
        Stage stage = stages[user.index];
        switch (s.name()) {
            case "message" -> {
                return s;
            }
            case "features" -> {
                if (stage == Stage.OPENING) {
                    stages[user.index] = Stage.REGISTERING;
                    user.send("<iq xmlns='jabber:client' type='set' id='" + REGISTER_ID + "'><query xmlns='jabber:iq:register'>"
                            + "<username>" + escape(user.userId) + "</username><password>" + escape(password)
                            + "</password></query></iq>");
                } else if (stage == Stage.RESTARTING) {
                    stages[user.index] = Stage.BINDING;
                    user.send("<iq xmlns='jabber:client' type='set' id='" + BIND_ID + "'>"
                            + "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + RESOURCE + "</resource></bind></iq>");
                }
            }
            case "iq" -> onIq(user, s, stage);
            case "success" -> {
                stages[user.index] = Stage.RESTARTING;
                user.send(open());
            }
            case "failure" -> fail(user, "xmpp: authentication refused: " + s.errorCondition());
            case "error" -> {
                errors.accept("xmpp:stream_error:" + s.errorCondition());
                fail(user, "xmpp: stream error " + s.errorCondition());
            }
            case "presence" -> {
                // a room sends the occupants already there, then the joiner's own presence: joined
                if (stage == Stage.JOINING && s.attribute("from").equals(ownOccupant(user))) {
                    if (s.attribute("type").equals("error")) {
                        fail(user, "xmpp: joining " + user.targetUser + " refused: " + s.errorCondition());
                    } else {
                        stages[user.index] = Stage.READY;
                        user.hello.complete(0L);
                    }
                }
            }
            case "open", "close" -> { }
            default -> errors.accept("xmpp:unexpected:" + s.name());
        }
        return null;
    }

    private void onIq(BenchUser user, Stanza iq, Stage stage) {
        String type = iq.attribute("type");
        String id = iq.attribute("id");
        if (type.equals("get") || type.equals("set")) {
            // a server ping (XEP-0199) or anything else addressed to the client: an empty result is enough
            user.send("<iq xmlns='jabber:client' type='result' id='" + escape(id) + "'"
                    + (iq.attributes().containsKey("from") ? " to='" + escape(iq.attribute("from")) + "'" : "") + "/>");
        } else if (stage == Stage.REGISTERING && id.equals(REGISTER_ID)) {
            // a conflict means the account exists from an earlier run (--user-prefix): log in with it
            if (type.equals("result") || iq.children().contains("conflict")) {
                stages[user.index] = Stage.AUTHENTICATING;
                String credentials = "\0" + user.userId + "\0" + password;
                user.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                        + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)) + "</auth>");
            } else {
                fail(user, "xmpp: registration refused: " + iq.errorCondition());
            }
        } else if (stage == Stage.BINDING && id.equals(BIND_ID)) {
            if (type.equals("result")) {
                user.send("<presence xmlns='jabber:client'/>");
                if (rooms) {
                    stages[user.index] = Stage.JOINING;
                    user.send("<presence xmlns='jabber:client' to='" + ownOccupant(user) + "'>"
                            + "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>");
                } else {
                    stages[user.index] = Stage.READY;
                    user.hello.complete(0L);
                }
            } else {
                fail(user, "xmpp: resource binding refused: " + iq.errorCondition());
            }
        }
    }

    private String ownOccupant(BenchUser user) {
        return user.targetUser + "@" + roomDomain + "/" + user.userId;
    }

    private void fail(BenchUser user, String reason) {
        user.hello.completeExceptionally(new IllegalStateException(reason));
    }

    private String open() {
        return "<open xmlns='" + FRAMING_NS + "' to='" + domain + "' version='1.0'/>";
    }

    static Stanza parse(String frame) throws XMLStreamException {
        XMLStreamReader r = XML.createXMLStreamReader(new StringReader(frame));
        try {
            String name = null;
            Map<String, String> attributes = new HashMap<>();
            Set<String> children = new HashSet<>();
            StringBuilder body = null;
            int depth = 0;
            boolean inBody = false;
            while (r.hasNext()) {
                int event = r.next();
                if (event == XMLStreamConstants.START_ELEMENT) {
                    String local = localName(r.getLocalName());
                    if (depth == 0) {
                        name = local;
                        for (int i = 0; i < r.getAttributeCount(); i++) {
                            attributes.put(localName(r.getAttributeLocalName(i)), r.getAttributeValue(i));
                        }
                    } else {
                        children.add(local);
                        if (depth == 1 && local.equals("body") && body == null) {
                            body = new StringBuilder();
                            inBody = true;
                        }
                    }
                    depth++;
                } else if (event == XMLStreamConstants.END_ELEMENT) {
                    depth--;
                    inBody = false;
                } else if (inBody && (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA)) {
                    body.append(r.getText());
                }
            }
            if (name == null) {
                throw new XMLStreamException("no element");
            }
            return new Stanza(name, attributes, children, body == null ? null : body.toString());
        } finally {
            r.close();
        }
    }

    /**
     * The driver shares the machine with the server it measures, so the frame it gets most, a chat
     * message with a plain {@code <body>}, is read without an XML parser; anything else (other
     * stanzas, errors, a body with attributes, CDATA, comments) goes through {@link #parse}.
     *
     * @return the message, or null to say: parse it properly
     */
    static Stanza plainMessage(String frame) {
        if (!frame.startsWith("<message ") || !frame.endsWith("</message>")) {
            return null;
        }
        int tagEnd = frame.indexOf('>');
        int bodyStart = frame.indexOf("<body>", tagEnd);
        int bodyEnd = frame.indexOf("</body>", bodyStart + 1);
        if (tagEnd < 0 || frame.charAt(tagEnd - 1) == '/' || bodyStart < 0 || bodyEnd < 0
                || frame.indexOf('<', bodyStart + 6) != bodyEnd || frame.indexOf("<!", tagEnd) >= 0
                || frame.indexOf("&#") >= 0) {
            return null;
        }
        Map<String, String> attributes = new HashMap<>();
        int i = "<message".length();
        while (i < tagEnd) {
            int eq = frame.indexOf('=', i);
            if (eq < 0 || eq > tagEnd) {
                break;
            }
            char quote = frame.charAt(eq + 1);
            int close = quote == '\'' || quote == '"' ? frame.indexOf(quote, eq + 2) : -1;
            if (close < 0 || close > tagEnd) {
                return null;
            }
            attributes.put(localName(frame.substring(i, eq).trim()), unescape(frame.substring(eq + 2, close)));
            i = close + 1;
        }
        if (attributes.getOrDefault("type", "").equals("error")) {
            return null; // its error element is what matters: parse it
        }
        return new Stanza("message", attributes, Set.of("body"), unescape(frame.substring(bodyStart + 6, bodyEnd)));
    }

    private static String unescape(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'")
                .replace("&amp;", "&");
    }

    /** Without namespace processing a prefixed name arrives whole ({@code stream:features}). */
    private static String localName(String name) {
        int colon = name.indexOf(':');
        return colon < 0 ? name : name.substring(colon + 1);
    }

    static String escape(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String replacement = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '\'' -> "&apos;";
                case '"' -> "&quot;";
                default -> null;
            };
            if (replacement != null && out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }

    /** The localpart of a JID ({@code alice@example.org/phone} gives {@code alice}). */
    static String localpart(String jid) {
        int at = jid.indexOf('@');
        return at < 0 ? "" : jid.substring(0, at);
    }

    private static XMLInputFactory xmlFactory() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        // stanzas arrive without the stream's namespace declarations; prefixes are kept in the names
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        return f;
    }
}
