package chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PayloadTest {

    @Test
    void clientIdsCarryRunSequenceAndIntendedTime() {
        String id = Payload.clientId("r7", 42, 1_234_567_890_123L);
        assertEquals(new Payload.ClientId("r7", 42, 1_234_567_890_123L), Payload.parseClientId(id));
    }

    @Test
    void runsOverTheSameAccountsNeverRepeatAClientId() {
        // same sender, same sequence number, same intended time (a fixed rate makes it so): only the run differs
        assertNotEquals(Payload.clientId("run1", 5, 50_000_000L), Payload.clientId("run2", 5, 50_000_000L));
    }

    @Test
    void foreignClientIdsAreNotMistakenForOurs() {
        assertNull(Payload.parseClientId("client-7"));
        assertNull(Payload.parseClientId("r1.12"));
        assertNull(Payload.parseClientId("r1.x.3"));
        assertNull(Payload.parseClientId(".1.3"));
        assertNull(Payload.parseClientId(null));
    }

    @Test
    void textRoundTripsWithAndWithoutPadding() {
        String plain = Payload.text("r1", 7, 3, 99, 0);
        assertEquals(new Payload.Text("r1", 7, 3, 99), Payload.parseText(plain));
        String padded = Payload.text("r1", 7, 3, 99, 300);
        assertTrue(padded.length() >= 300);
        assertEquals(new Payload.Text("r1", 7, 3, 99), Payload.parseText(padded));
    }

    @Test
    void humanTextIsNotABenchMessage() {
        assertNull(Payload.parseText("hello bob"));
        assertNull(Payload.parseText("bench r1 seven 3 99"));
        assertNull(Payload.parseText(null));
    }
}
