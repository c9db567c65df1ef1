package chat.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The REST calls the driver needs during setup, over the JDK HTTP client (blocking calls from a small
 * pool: setup is bounded by the server's deliberately slow password hashing, not by the client).
 * Overload answers (429, 503) and dropped connections are retried with backoff; anything else that is
 * not success is a {@link BenchFailure} naming the call, the status and the server's error message.
 */
final class ServerApi {

    record Session(String userId, String token) {
    }

    private static final int ATTEMPTS = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http;

    ServerApi(URI base) {
        this.base = base;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** @return the status of GET /api/v1/health */
    int health() throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(resolve("/api/v1/health")).timeout(Duration.ofSeconds(10)).GET().build();
        return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Registers the user (an existing one, 409, is fine) and logs in. */
    Session registerAndLogin(String username, String password) throws BenchFailure, InterruptedException {
        ObjectNode account = JSON.createObjectNode().put("username", username).put("password", password);
        HttpResponse<String> reg = post("/api/v1/accounts", null, account, "register " + username);
        if (reg.statusCode() != 201 && reg.statusCode() != 200 && reg.statusCode() != 409) {
            throw failure("register " + username, reg);
        }
        ObjectNode login = JSON.createObjectNode().put("username", username).put("password", password);
        HttpResponse<String> ses = post("/api/v1/sessions", null, login, "log in " + username);
        if (ses.statusCode() == 401) {
            throw new BenchFailure("log in " + username + " was refused (401): the account exists with another"
                    + " password; use another --user-prefix or the right --password");
        }
        if (ses.statusCode() != 200) {
            throw failure("log in " + username, ses);
        }
        JsonNode body = parse(ses, "log in " + username);
        String token = body.path("token").asText("");
        if (token.isEmpty()) {
            throw new BenchFailure("log in " + username + ": the answer has no token: " + abbreviate(ses.body()));
        }
        return new Session(body.path("userId").asText(username), token);
    }

    /** Creates a group as {@code creator} with the other {@code members}; returns its groupId. */
    String createGroup(Session creator, String name, List<String> members) throws BenchFailure, InterruptedException {
        ObjectNode req = JSON.createObjectNode().put("name", name);
        members.forEach(req.putArray("members")::add);
        HttpResponse<String> res = post("/api/v1/groups", creator.token(), req, "create group " + name);
        if (res.statusCode() != 201 && res.statusCode() != 200) {
            throw failure("create group " + name, res);
        }
        String groupId = parse(res, "create group " + name).path("groupId").asText("");
        if (groupId.isEmpty()) {
            throw new BenchFailure("create group " + name + ": the answer has no groupId: " + abbreviate(res.body()));
        }
        return groupId;
    }

    /** One page of {@code GET /api/v1/updates?after=N&limit=M} for the session's user. */
    JsonNode updates(Session session, long after, int limit) throws BenchFailure, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(resolve("/api/v1/updates?after=" + after + "&limit=" + limit))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + session.token())
                .GET().build();
        try {
            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                throw failure("GET /api/v1/updates", res);
            }
            return parse(res, "GET /api/v1/updates");
        } catch (IOException e) {
            throw new BenchFailure("GET /api/v1/updates: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private HttpResponse<String> post(String path, String token, JsonNode body, String what)
            throws BenchFailure, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(resolve(path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpRequest req = b.build();
        long backoffMs = 200;
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                boolean overloaded = res.statusCode() == 429 || res.statusCode() == 503;
                if (!overloaded || attempt == ATTEMPTS) {
                    return res;
                }
            } catch (ConnectException e) {
                throw new BenchFailure(what + ": cannot connect to " + base + " (" + e.getMessage() + ")");
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw new BenchFailure(what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }
            Thread.sleep(backoffMs);
            backoffMs = Math.min(backoffMs * 2, 3_000);
        }
    }

    private URI resolve(String path) {
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        return URI.create(base.getScheme() + "://" + base.getRawAuthority() + basePath + path);
    }

    private static JsonNode parse(HttpResponse<String> res, String what) throws BenchFailure {
        try {
            return JSON.readTree(res.body());
        } catch (IOException e) {
            throw new BenchFailure(what + ": the answer is not JSON: " + abbreviate(res.body()));
        }
    }

    private static BenchFailure failure(String what, HttpResponse<String> res) {
        String detail = abbreviate(res.body());
        try {
            JsonNode error = JSON.readTree(res.body()).path("error");
            if (error.isObject()) {
                detail = error.path("code").asText("?") + ": " + error.path("message").asText("");
            }
        } catch (IOException | RuntimeException e) {
            // not the protocol's error shape; show the raw body
        }
        return new BenchFailure(what + " failed with HTTP " + res.statusCode() + (detail.isEmpty() ? "" : " (" + detail + ")"));
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        s = s.strip();
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
