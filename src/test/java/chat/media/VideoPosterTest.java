package chat.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The poster pipeline with a stand-in frame decoder: a script that answers like ffmpeg and writes a known
 * 1280x720 frame to the output path it is given. Checks what we do with a decoder's output, not ffmpeg itself.
 */
class VideoPosterTest {
  @TempDir Path dir;

  @Test
  void aVideoGetsABoundedPosterThumbnailWhenAFrameDecoderExists() throws Exception {
    OriginHarness origin = OriginHarness.shared();
    Path frame = dir.resolve("frame.png");
    Files.write(frame, MediaSamples.png(1280, 720));
    Path decoder = dir.resolve("fake-ffmpeg");
    Files.writeString(decoder, """
        #!/bin/sh
        for last in "$@"; do :; done
        if [ "$last" = "-version" ]; then echo "ffmpeg version stand-in"; exit 0; fi
        cp "%s" "$last"
        """.formatted(frame));
    Files.setPosixFilePermissions(decoder, PosixFilePermissions.fromString("rwx------"));

    JdbcDataSource db = new JdbcDataSource();
    db.setURL("jdbc:h2:file:" + dir.resolve("db").toAbsolutePath());
    MediaService media = new MediaService(origin.system, ConfigFactory.parseString(
        "parley.media.poster.ffmpeg = \"" + decoder + "\"\nparley.media.signing-key = \"" + OriginHarness.SIGNING_KEY + "\""),
        dir.resolve("data"), origin.tokens, db);
    ServerBinding binding = Http.get(origin.system).newServerAt("127.0.0.1", 0).bind(media.routes())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      String base = "http://127.0.0.1:" + binding.localAddress().getPort();
      HttpResponse<String> uploaded = origin.http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/media"))
          .header("Authorization", "Bearer " + origin.token("alice")).header("Content-Type", "video/mp4")
          .POST(HttpRequest.BodyPublishers.ofByteArray(MediaSamples.mp4(1280, 720, 3000, 1000))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, uploaded.statusCode(), uploaded.body());
      JsonNode body = OriginHarness.json(uploaded.body());
      assertFalse(body.has("poster"), "a poster exists, so no 'no poster' note");
      HttpResponse<byte[]> poster = origin.http.send(HttpRequest.newBuilder(
              URI.create(base + media.signedUrl(body.get("thumbnailId").asText()))).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, poster.statusCode());
      assertEquals("image/jpeg", poster.headers().firstValue("Content-Type").orElseThrow());
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(poster.body()));
      assertEquals(320, image.getWidth());
      assertEquals(180, image.getHeight());
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
