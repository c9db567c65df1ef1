package chat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chat.bench.DeliveryLedger.Delivery;
import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

    @Test
    void countsLossDuplicatesAndReorderingPerStream() {
        DeliveryLedger ledger = new DeliveryLedger(2, new Topology.Pairs(2));
        for (int i = 0; i < 5; i++) {
            assertEquals(i, ledger.allocate(0));
        }
        for (int i = 0; i < 4; i++) {
            ledger.ack(0, i); // message 4 is never acked
        }
        assertEquals(Delivery.IN_ORDER, ledger.deliver(1, 0, 0));
        assertEquals(Delivery.IN_ORDER, ledger.deliver(1, 0, 2));
        assertEquals(Delivery.REORDERED, ledger.deliver(1, 0, 1));
        assertEquals(Delivery.DUPLICATE, ledger.deliver(1, 0, 2));
        assertEquals(Delivery.IN_ORDER, ledger.deliver(1, 0, 4));

        DeliveryLedger.Tally t = ledger.tally();
        assertEquals(5, t.sent());
        assertEquals(4, t.acked());
        assertEquals(1, t.unacked());
        assertEquals(4, t.delivered());
        assertEquals(1, t.duplicates());
        assertEquals(1, t.reordered());
        assertEquals(1, t.lost(), "message 3 was acked but never arrived");
        assertEquals(1, t.deliveredWithoutAck(), "message 4 arrived without an ack");
        assertEquals(1, ledger.missing());
        assertEquals(1, ledger.unackedBy(0));
        assertEquals(0, ledger.unackedBy(1));
    }

    @Test
    void repeatedAcksAndAcksForUnsentNumbersDoNotCount() {
        DeliveryLedger ledger = new DeliveryLedger(2, new Topology.Pairs(2));
        ledger.allocate(1);
        assertEquals(true, ledger.ack(1, 0));
        assertEquals(false, ledger.ack(1, 0));
        assertEquals(false, ledger.ack(1, 7));
        assertEquals(1, ledger.tally().acked());
    }

    @Test
    void unsentMessagesAreNotCountedAsSent() {
        DeliveryLedger ledger = new DeliveryLedger(2, new Topology.Pairs(2));
        ledger.allocate(0);
        ledger.allocate(0);
        ledger.unsent(0);
        assertEquals(1, ledger.tally().sent());
        assertEquals(1, ledger.sentSoFar());
    }

    @Test
    void groupMessagesAreLostPerMissingReceiver() {
        DeliveryLedger ledger = new DeliveryLedger(3, new Topology.Groups(3, 3));
        ledger.allocate(0);
        ledger.ack(0, 0);
        ledger.deliver(1, 0, 0); // member 2 never gets it
        assertEquals(Delivery.UNEXPECTED, ledger.deliver(0, 0, 0), "a sender does not receive its own message");
        DeliveryLedger.Tally t = ledger.tally();
        assertEquals(1, t.delivered());
        assertEquals(1, t.lost());
        assertEquals(1, ledger.unexpectedSoFar());
    }

    @Test
    void streamsAreIndependent() {
        DeliveryLedger ledger = new DeliveryLedger(4, new Topology.Groups(4, 4));
        ledger.allocate(0);
        ledger.allocate(0);
        ledger.allocate(1);
        ledger.allocate(1);
        assertEquals(Delivery.IN_ORDER, ledger.deliver(3, 0, 1));
        assertEquals(Delivery.IN_ORDER, ledger.deliver(3, 1, 0), "another sender's numbering starts afresh");
        assertEquals(Delivery.REORDERED, ledger.deliver(3, 0, 0));
        assertEquals(Delivery.IN_ORDER, ledger.deliver(2, 0, 0), "another receiver's view is separate");
    }
}
