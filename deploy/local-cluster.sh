#!/usr/bin/env bash
# A Parley cluster on this machine, for operators and tests: every node is a `java -jar` process on
# conf/cluster.conf, all sharing one PostgreSQL database.
#
#   deploy/local-cluster.sh up N     start N nodes, wait until all are Up and healthy
#   deploy/local-cluster.sh add      one more node (joins the live ones)
#   deploy/local-cluster.sh leave K  graceful leave of node K (SIGTERM: shards hand off, clients reconnect)
#   deploy/local-cluster.sh kill K   SIGKILL node K (the Split Brain Resolver downs it, its shards move)
#   deploy/local-cluster.sh urls     HTTP base URLs of the live nodes, one per line
#   deploy/local-cluster.sh status   nodes, pids, health, and the cluster's members
#   deploy/local-cluster.sh down     graceful stop of every node (the database is kept)
#
# Environment:
#   PARLEY_JAR          the server jar (default target/parley.jar)
#   PARLEY_DB_URL       JDBC URL (default jdbc:postgresql://127.0.0.1:5432/parley; the database is created if missing)
#   PARLEY_DB_USER      database user (default postgres; trust or PGPASSWORD for psql)
#   PARLEY_ADMIN_TOKEN  admin API token (default: generated once into the state dir)
#   PARLEY_TOKEN_SECRET session token secret shared by the nodes (default: generated once into the state dir)
#   PARLEY_CLUSTER_DIR  state dir: pids, ports, logs, data dirs (default ./local-cluster)
#   PARLEY_HTTP_BASE    node K listens on HTTP port BASE+K (default 8080: node 1 is 8081)
#   PARLEY_CLUSTER_BASE node K's cluster (Artery) port is BASE+K (default 25520)
#   JAVA_HOME           the JDK (21+) to run the jar with
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
jar="${PARLEY_JAR:-target/parley.jar}"
conf="${PARLEY_CLUSTER_CONF:-$here/../conf/cluster.conf}"
db_url="${PARLEY_DB_URL:-jdbc:postgresql://127.0.0.1:5432/parley}"
db_user="${PARLEY_DB_USER:-postgres}"
state="${PARLEY_CLUSTER_DIR:-./local-cluster}"
http_base="${PARLEY_HTTP_BASE:-8080}"
cluster_base="${PARLEY_CLUSTER_BASE:-25520}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

die() { echo "local-cluster: $*" >&2; exit 1; }

mkdir -p "$state"
secret_file() { # name, generator: a value kept in the state dir so every node (and every run) shares it
  local f="$state/$1"
  [ -s "$f" ] || { umask 077; head -c 32 /dev/urandom | base64 | tr -d '\n' > "$f"; }
  cat "$f"
}
admin_token="${PARLEY_ADMIN_TOKEN:-$(secret_file admin-token)}"
token_secret="${PARLEY_TOKEN_SECRET:-$(secret_file token-secret)}"

nodes() { ls -1 "$state" 2>/dev/null | sed -n 's/^node-\([0-9]*\)$/\1/p' | sort -n; }
pid_of() { cat "$state/node-$1/pid" 2>/dev/null || true; }
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
live_nodes() { for k in $(nodes); do if alive "$k"; then echo "$k"; fi; done; }
http_port() { echo $((http_base + $1)); }
cluster_port() { echo $((cluster_base + $1)); }
health() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$(http_port "$1")/api/v1/health" || true; }
members() { curl -s --max-time 5 -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$(http_port "$1")/api/v1/admin/members" || true; }

ensure_database() {
  # jdbc:postgresql://host:port/name?params
  local rest host port name
  rest="${db_url#jdbc:postgresql://}"
  [ "$rest" != "$db_url" ] || die "PARLEY_DB_URL must be a jdbc:postgresql:// URL"
  host="${rest%%/*}"; name="${rest#*/}"; name="${name%%\?*}"
  port="${host##*:}"; host="${host%%:*}"; [ "$port" != "$host" ] || port=5432
  command -v psql >/dev/null || die "psql is needed to create the database (or create '$name' yourself)"
  if [ "$(psql -h "$host" -p "$port" -U "$db_user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != "1" ]; then
    psql -h "$host" -p "$port" -U "$db_user" -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
    echo "created database $name"
  fi
}

start_node() { # K: starts node K in the background, joining the live nodes (or forming the cluster)
  local k="$1" dir="$state/node-$1" i=0 seeds=()
  [ -f "$jar" ] || die "no server jar at $jar (mvn -DskipTests package, or set PARLEY_JAR)"
  mkdir -p "$dir"
  for s in $(live_nodes); do seeds+=("-Dpekko.cluster.seed-nodes.$i=pekko://parley@127.0.0.1:$(cluster_port "$s")"); i=$((i + 1)); done
  [ "$i" -gt 0 ] || seeds=("-Dpekko.cluster.seed-nodes.0=pekko://parley@127.0.0.1:$(cluster_port "$k")")
  PARLEY_DB_URL="$db_url" PARLEY_DB_USER="$db_user" PARLEY_ADMIN_TOKEN="$admin_token" PARLEY_TOKEN_SECRET="$token_secret" \
    setsid nohup "$java" -jar "$jar" server --config "$conf" --port "$(http_port "$k")" --data-dir "$dir/data" \
      -Dparley.http.host=127.0.0.1 \
      -Dpekko.remote.artery.canonical.port="$(cluster_port "$k")" "${seeds[@]}" \
      > "$dir/node.log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  echo "node $k: pid $!, http $(http_port "$k"), cluster $(cluster_port "$k"), log $dir/node.log"
}

await_up() { # waits until every live node answers health 200 and one of them sees them all Up
  local deadline=$((SECONDS + ${PARLEY_UP_TIMEOUT:-180})) live want up k
  while [ "$SECONDS" -lt "$deadline" ]; do
    live="$(live_nodes)"; want=$(echo "$live" | grep -c . || true)
    [ "$want" -gt 0 ] || die "no node is running (see $state/node-*/node.log)"
    up=0
    for k in $live; do [ "$(health "$k")" = 200 ] && up=$((up + 1)); done
    if [ "$up" -eq "$want" ]; then
      k="$(echo "$live" | sed -n 1p)"
      if [ "$(members "$k" | grep -o '"status":"Up","reachable":true' | wc -l)" -eq "$want" ] \
         && [ "$(members "$k" | grep -o '"status":"' | wc -l)" -eq "$want" ]; then
        echo "cluster: $want node(s) Up and healthy"; return 0
      fi
    fi
    sleep 1
  done
  die "nodes not all Up and healthy in time (see $state/node-*/node.log)"
}

next_index() { local last; last="$(nodes | tail -1)"; echo $(( ${last:-0} + 1 )); }

stop_node() { # K signal
  local k="$1" p; p="$(pid_of "$k")"
  alive "$k" || { echo "node $k is not running"; return 0; }
  kill "-$2" "$p"
  if [ "$2" = TERM ]; then
    for _ in $(seq 1 120); do alive "$k" || break; sleep 0.5; done
    alive "$k" && die "node $k did not leave within 60 s"
    echo "node $k left"
  else
    while alive "$k"; do sleep 0.1; done
    echo "node $k killed"
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  up)
    n="${1:?usage: up N}"
    [ -z "$(live_nodes)" ] || die "nodes are already running (status, or down first)"
    ensure_database
    first="$(next_index)"
    start_node "$first"
    await_up   # the first node forms the cluster; the others join it
    for ((k = first + 1; k < first + n; k++)); do start_node "$k"; done
    await_up
    ;;
  add)
    [ -n "$(live_nodes)" ] || ensure_database
    start_node "$(next_index)"
    await_up
    ;;
  leave) stop_node "${1:?usage: leave K}" TERM ;;
  kill) stop_node "${1:?usage: kill K}" KILL ;;
  urls) for k in $(live_nodes); do echo "http://127.0.0.1:$(http_port "$k")"; done ;;
  status)
    for k in $(nodes); do
      if alive "$k"; then echo "node $k: pid $(pid_of "$k") http $(http_port "$k") health $(health "$k")"
      else echo "node $k: stopped"; fi
    done
    k="$(live_nodes | sed -n 1p)"
    if [ -n "$k" ]; then echo "members (seen by node $k): $(members "$k")"; fi
    ;;
  down)
    for k in $(live_nodes); do kill -TERM "$(pid_of "$k")"; done
    for k in $(nodes); do stop_node "$k" TERM >/dev/null; done
    echo "all nodes stopped (database kept)"
    ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
