package chat.hashing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class HashingSettingsTest {
    static Config withOverride(String hocon) {
        return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.parseResources("reference-hashing.conf"));
    }

    @Test
    void referenceConfigGivesTheDocumentedDefaults() {
        assertEquals(HashingSettings.DEFAULTS, HashingSettings.fromConfig(withOverride("")));
        assertEquals(RingHash.SHA256,
                HashingSettings.fromConfig(withOverride("parley.hashing.hash-function = sha256")).hash());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "parley.hashing.virtual-nodes = 0 | parley.hashing.virtual-nodes",
            "parley.hashing.load-factor = 0.5 | parley.hashing.load-factor",
            "parley.hashing.shard-allocation.rebalance-limit = 0 | rebalance-limit",
            "parley.hashing.hash-function = crc32 | murmur3 or sha256",
            "parley.hashing.direction = left | nearest\" or \"clockwise",
    })
    void badValuesNameTheKnob(String hocon, String mentioned) {
        var e = assertThrows(IllegalArgumentException.class, () -> HashingSettings.fromConfig(withOverride(hocon)));
        assertTrue(e.getMessage().contains(mentioned), e.getMessage());
    }
}
