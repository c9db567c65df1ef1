package chat.gateway;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A socket's per-message framing work: decoding one masked client frame as it arrives from TCP (a
 * `send` of the load driver's size, or the same in two fragments) and encoding one server frame (a
 * `message` frame). The command is in docs/benchmarks.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WebSocketWireBenchmark {
  @Param({"ascii", "unicode"})
  public String text;

  private ByteString whole;
  private ByteString firstHalf;
  private ByteString secondHalf;
  private String outbound;

  @Setup
  public void setUp() {
    String body = text.equals("ascii") ? "bench r1 u17 42 " + "x".repeat(60) : "bench r1 u17 42 héllo wörld ✓ " + "é".repeat(30);
    String send = "{\"type\":\"send\",\"id\":\"r1.42.1764280000000000000\",\"to\":\"user:u17\",\"body\":{\"text\":\"" + body + "\"}}";
    byte[] bytes = send.getBytes(StandardCharsets.UTF_8);
    whole = ByteString.fromArray(WebSocketWireTest.clientFrame(true, WebSocketWire.TEXT, bytes));
    int half = bytes.length / 2;
    firstHalf = ByteString.fromArray(WebSocketWireTest.clientFrame(false, WebSocketWire.TEXT, java.util.Arrays.copyOfRange(bytes, 0, half)));
    secondHalf = ByteString.fromArray(WebSocketWireTest.clientFrame(true, WebSocketWire.CONTINUATION,
        java.util.Arrays.copyOfRange(bytes, half, bytes.length)));
    outbound = "{\"type\":\"message\",\"seq\":1234,\"id\":\"m-01HZX3\",\"conversation\":\"dm:u16:u17\",\"from\":\"u16\",\"ts\":1764280000000,"
        + "\"body\":{\"text\":\"" + body + "\"}}";
  }

  @Benchmark
  public WebSocketWire.Event decodeOneFrame() {
    WebSocketWire.Decoder decoder = new WebSocketWire.Decoder(65_536);
    decoder.feed(whole);
    return decoder.next();
  }

  @Benchmark
  public WebSocketWire.Event decodeTwoFragments() {
    WebSocketWire.Decoder decoder = new WebSocketWire.Decoder(65_536);
    decoder.feed(firstHalf);
    decoder.next();
    decoder.feed(secondHalf);
    return decoder.next();
  }

  @Benchmark
  public ByteString encodeOneFrame() {
    return WebSocketWire.text(outbound);
  }
}
