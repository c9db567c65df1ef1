package chat.media;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Collection;
import java.util.Optional;
import javax.sql.DataSource;

/** Media metadata and read grants in SQL that runs unchanged on H2 and PostgreSQL. Blocking: call off the event loop. */
final class MediaRepository {
  /** SQLState of a unique-key violation on both H2 and PostgreSQL. */
  private static final String DUPLICATE_KEY = "23505";

  private final DataSource db;

  MediaRepository(DataSource db) throws SQLException {
    this.db = db;
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.execute("""
          CREATE TABLE IF NOT EXISTS parley_media (
            media_id VARCHAR(40) PRIMARY KEY,
            owner_id VARCHAR(128) NOT NULL,
            sha256 CHAR(64) NOT NULL,
            content_type VARCHAR(32) NOT NULL,
            size_bytes BIGINT NOT NULL,
            width INTEGER,
            height INTEGER,
            duration_ms BIGINT,
            thumbnail_sha256 CHAR(64),
            thumbnail_size BIGINT,
            created_at BIGINT NOT NULL)""");
      s.execute("""
          CREATE TABLE IF NOT EXISTS parley_media_expiry (
            media_id VARCHAR(40) PRIMARY KEY,
            delete_after BIGINT NOT NULL)""");
      s.execute("""
          CREATE TABLE IF NOT EXISTS parley_media_grant (
            media_id VARCHAR(40) NOT NULL,
            user_id VARCHAR(128) NOT NULL,
            PRIMARY KEY (media_id, user_id))""");
    }
  }

  void insert(MediaRecord r) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO parley_media (media_id, owner_id, sha256, content_type, size_bytes, width, height, duration_ms,"
              + " thumbnail_sha256, thumbnail_size, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
        p.setString(1, r.mediaId());
        p.setString(2, r.ownerId());
        p.setString(3, r.sha256());
        p.setString(4, r.kind().contentType());
        p.setLong(5, r.size());
        setNullableInt(p, 6, r.width());
        setNullableInt(p, 7, r.height());
        setNullableLong(p, 8, r.durationMs());
        p.setString(9, r.thumbnailSha256());
        setNullableLong(p, 10, r.thumbnailSize());
        p.setLong(11, r.createdAt());
        p.executeUpdate();
      }
      try (PreparedStatement p = c.prepareStatement("INSERT INTO parley_media_grant (media_id, user_id) VALUES (?,?)")) {
        p.setString(1, r.mediaId());
        p.setString(2, r.ownerId());
        p.executeUpdate();
      }
      c.commit();
    }
  }

  Optional<MediaRecord> find(String mediaId) throws SQLException {
    try (Connection c = db.getConnection();
         PreparedStatement p = c.prepareStatement(
             "SELECT owner_id, sha256, content_type, size_bytes, width, height, duration_ms, thumbnail_sha256,"
                 + " thumbnail_size, created_at FROM parley_media WHERE media_id = ?")) {
      p.setString(1, mediaId);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        return Optional.of(new MediaRecord(
            mediaId,
            rs.getString(1),
            rs.getString(2),
            MediaKind.fromContentType(rs.getString(3)).orElseThrow(),
            rs.getLong(4),
            (Integer) rs.getObject(5, Integer.class),
            (Integer) rs.getObject(6, Integer.class),
            (Long) rs.getObject(7, Long.class),
            rs.getString(8) == null ? null : rs.getString(8).trim(),
            (Long) rs.getObject(9, Long.class),
            rs.getLong(10)));
      }
    }
  }

  boolean mayRead(String mediaId, String userId) throws SQLException {
    try (Connection c = db.getConnection();
         PreparedStatement p = c.prepareStatement(
             "SELECT 1 FROM parley_media_grant WHERE media_id = ? AND user_id = ?")) {
      p.setString(1, mediaId);
      p.setString(2, userId);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Records that a message expiring at {@code expiresAt} (0 = permanent) references the media:
   * {@code delete_after} becomes -1 (never) once any permanent message does, else the latest expiry.
   */
  synchronized void retain(String mediaId, long expiresAt) throws SQLException {
    try (Connection c = db.getConnection()) {
      Long current = null;
      try (PreparedStatement q = c.prepareStatement("SELECT delete_after FROM parley_media_expiry WHERE media_id = ?")) {
        q.setString(1, mediaId);
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) current = rs.getLong(1);
        }
      }
      long wanted = expiresAt <= 0 ? -1 : expiresAt;
      if (current == null) {
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO parley_media_expiry (media_id, delete_after) VALUES (?, ?)")) {
          ins.setString(1, mediaId);
          ins.setLong(2, wanted);
          ins.executeUpdate();
        }
      } else if (current != -1 && (wanted == -1 || wanted > current)) {
        try (PreparedStatement up = c.prepareStatement("UPDATE parley_media_expiry SET delete_after = ? WHERE media_id = ?")) {
          up.setLong(1, wanted);
          up.setString(2, mediaId);
          up.executeUpdate();
        }
      }
    }
  }

  /** Media whose every referencing message has expired by {@code now}. */
  java.util.List<String> dueForDeletion(long now) throws SQLException {
    try (Connection c = db.getConnection();
         PreparedStatement q = c.prepareStatement("SELECT media_id FROM parley_media_expiry WHERE delete_after > 0 AND delete_after <= ?")) {
      q.setLong(1, now);
      java.util.List<String> out = new java.util.ArrayList<>();
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
      return out;
    }
  }

  /** Removes the media's rows; returns the blobs (content and thumbnail) no other media still uses. */
  java.util.List<String> delete(String mediaId) throws SQLException {
    java.util.List<String> unused = new java.util.ArrayList<>();
    Optional<MediaRecord> record = find(mediaId);
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      for (String table : java.util.List.of("parley_media_grant", "parley_media_expiry", "parley_media")) {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM " + table + " WHERE media_id = ?")) {
          d.setString(1, mediaId);
          d.executeUpdate();
        }
      }
      if (record.isPresent()) {
        for (String sha : java.util.Arrays.asList(record.get().sha256(), record.get().thumbnailSha256())) {
          if (sha == null) continue;
          try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM parley_media WHERE sha256 = ? OR thumbnail_sha256 = ?")) {
            q.setString(1, sha);
            q.setString(2, sha);
            try (ResultSet rs = q.executeQuery()) {
              if (!rs.next()) unused.add(sha);
            }
          }
        }
      }
    }
    return unused;
  }

  /** Idempotent: existing grants stay, concurrent identical grants are not errors. */
  void grant(String mediaId, Collection<String> users) throws SQLException {
    try (Connection c = db.getConnection();
         PreparedStatement p = c.prepareStatement(
             "INSERT INTO parley_media_grant (media_id, user_id) SELECT ?, ? WHERE NOT EXISTS"
                 + " (SELECT 1 FROM parley_media_grant WHERE media_id = ? AND user_id = ?)")) {
      for (String user : users) {
        p.setString(1, mediaId);
        p.setString(2, user);
        p.setString(3, mediaId);
        p.setString(4, user);
        try {
          p.executeUpdate();
        } catch (SQLException e) {
          if (!DUPLICATE_KEY.equals(e.getSQLState())) throw e;
        }
      }
    }
  }

  private static void setNullableInt(PreparedStatement p, int index, Integer value) throws SQLException {
    if (value == null) p.setNull(index, Types.INTEGER); else p.setInt(index, value);
  }

  private static void setNullableLong(PreparedStatement p, int index, Long value) throws SQLException {
    if (value == null) p.setNull(index, Types.BIGINT); else p.setLong(index, value);
  }
}
