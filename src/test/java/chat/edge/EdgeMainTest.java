package chat.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EdgeMainTest {
  @Test
  void badCommandLinesExitWithUsageErrorsInsteadOfServing() {
    assertEquals(2, EdgeMain.run(new String[] {"edge", "--port"}), "a flag without its value");
    assertEquals(2, EdgeMain.run(new String[] {"edge", "--origin", "http://127.0.0.1:1", "--speed", "fast"}));
    assertEquals(2, EdgeMain.run(new String[] {"edge", "--port", "not-a-number"}));
    assertEquals(2, EdgeMain.run(new String[] {"--port", "0"}), "no origin");
    assertEquals(2, EdgeMain.run(new String[] {"edge", "--origin", "http://127.0.0.1:1", "--peers",
        "http://127.0.0.1:9001,http://127.0.0.1:9002", "--self", "http://127.0.0.1:9003"}), "self must be a peer");
  }
}
