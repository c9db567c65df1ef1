package chat.testing;

import chat.ephemeral.Sealer;
import chat.storage.Database;
import chat.storage.Schema;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.h2.jdbcx.JdbcDataSource;

/**
 * An ActorTestKit for entity tests: a one-node cluster on the same embedded H2 journal (same URL,
 * same schema, same Pekko settings) as a real node, in {@code dataDir}. Tests then init sharding
 * with the behaviours they want.
 *
 * @param kit    the running test kit (joined to itself)
 * @param config the resolved config it runs with
 * @param sealer the crypto-shredding sealer on the same database
 */
public record EntityKit(ActorTestKit kit, Config config, Sealer sealer) {

  public static EntityKit start(String name, Path dataDir, Map<String, Object> settings) {
    String url = Database.embeddedH2Url(dataDir);
    Schema.ensure(url, "sa", "");
    Map<String, Object> values = new HashMap<>(settings);
    values.put("parley.db.url", url);
    values.put("pekko.remote.artery.canonical.port", 0);
    values.put("pekko.actor.testkit.typed.system-shutdown-default", "60s");
    values.put("pekko.actor.testkit.typed.throw-on-shutdown-timeout", false);
    Config config = ConfigFactory.parseMap(values)
        .withFallback(ConfigFactory.parseResources("parley-runtime.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    ActorTestKit kit = ActorTestKit.create(name, config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    JdbcDataSource tables = new JdbcDataSource();
    tables.setURL(url);
    tables.setUser("sa");
    return new EntityKit(kit, config, new Sealer(tables));
  }

  public Config parley() {
    return config.getConfig("parley");
  }
}
