package chat;

/** Marker for messages, events and snapshots serialized with Jackson CBOR (see reference.conf). */
public interface CborSerializable {}
