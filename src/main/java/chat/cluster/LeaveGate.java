package chat.cluster;

import chat.json.Json;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** In front of a node's routes: once the node is leaving, new WebSockets get 503 (go to another node). */
public final class LeaveGate extends AllDirectives {
  private final LiveSockets sockets;

  public LeaveGate(LiveSockets sockets) {
    this.sockets = sockets;
  }

  public Route guard(Route routes) {
    Route refuseWhileLeaving = path("ws", () -> extract(ctx -> sockets.leaving(), leaving -> leaving
        ? complete(HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE).withEntity(ContentTypes.APPLICATION_JSON,
            Json.error("leaving", "this node is leaving the cluster; connect to another node")))
        : reject()));
    return concat(refuseWhileLeaving, routes);
  }
}
