package chat;

import chat.server.ParleyServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One entry point: {@code server} (default) runs a node, {@code edge} a CDN edge, {@code bench} the load
 * driver. Options of {@code server}: {@code --port N}, {@code --data-dir DIR}, {@code --config FILE},
 * and any setting as {@code -Dkey=value} (before or after the subcommand).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    String command = args.length > 0 && !args[0].startsWith("-") ? args[0] : "server";
    String[] rest = args.length > 0 && !args[0].startsWith("-") ? Arrays.copyOfRange(args, 1, args.length) : args;
    int exit = switch (command) {
      case "server" -> server(rest);
      case "edge" -> chat.edge.EdgeMain.run(rest);
      case "bench" -> chat.bench.BenchMain.run(rest);
      case "help", "--help" -> usage(0);
      default -> {
        System.err.println("unknown command: " + command);
        yield usage(2);
      }
    };
    if (exit != 0) System.exit(exit);
  }

  private static int server(String[] args) {
    Map<String, Object> flags = new HashMap<>();
    Map<String, Object> settings = new HashMap<>();
    Config file = ConfigFactory.empty();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      try {
        switch (a) {
          case "--port" -> flags.put("parley.http.port", Integer.parseInt(args[++i]));
          case "--data-dir" -> flags.put("parley.data-dir", args[++i]);
          case "--config" -> {
            File f = new File(args[++i]);
            if (!f.isFile()) {
              System.err.println("config file not found: " + f);
              return 2;
            }
            file = ConfigFactory.parseFile(f);
          }
          default -> {
            if (a.startsWith("-D") && a.contains("=")) {
              int eq = a.indexOf('=');
              settings.put(a.substring(2, eq), a.substring(eq + 1));
            } else {
              System.err.println("unknown option: " + a);
              return usage(2);
            }
          }
        }
      } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
        System.err.println("bad value for " + a);
        return usage(2);
      }
    }
    // -D settings beat flags, flags beat the --config file, which beats the defaults.
    Config layered = ConfigFactory.systemProperties()
        .withFallback(ConfigFactory.parseMap(settings))
        .withFallback(ConfigFactory.parseMap(flags))
        .withFallback(file);
    ParleyServer server;
    try {
      server = ParleyServer.start(layered);
    } catch (RuntimeException e) {
      System.err.println(e.getMessage());
      return 1;
    }
    System.out.println("Parley listening on port " + server.port() + " (Ctrl-C stops it)");
    server.system().getWhenTerminated().toCompletableFuture().join();
    return 0;
  }

  private static int usage(int exit) {
    System.err.println("""
        usage: java -jar parley.jar [server] [--port N] [--data-dir DIR] [--config FILE] [-Dkey=value ...]
               java -jar parley.jar edge --origin URL --port N [--cache-dir DIR]
               java -jar parley.jar bench --url http://HOST:PORT --mode pairs|group|idle ...""");
    return exit;
  }
}
