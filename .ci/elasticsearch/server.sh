#!/usr/bin/env bash
# A single-node Elasticsearch server, for Vigil's live store tests and for developers
# (`npm run es:dev`). Test infrastructure only: the server is Elastic's integ-test zip
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch, the core server with
# x-pack-core and x-pack-security but no ILM and no `GET /`), resolved from Maven Central by
# `mvn dependency:copy` into ~/.m2 and unpacked once into the cache folder.
#
#   .ci/elasticsearch/server.sh run   [--port 9200] [--dir DIR]   foreground until killed
#   .ci/elasticsearch/server.sh start [--port 9200] [--dir DIR]   detach once it answers
#   .ci/elasticsearch/server.sh stop  [--dir DIR]
#
# `start` and `run` print the server's URL on stdout once it answers (everything else goes
# to stderr). Without --port a free loopback port is picked. Security is off, the node
# listens on loopback only, and the disk watermarks are off (test machines run with full
# disks). The data folder is kept between runs. Elasticsearch refuses to run as root: when started by root it runs as `nobody`.
set -euo pipefail
version="${VIGIL_ES_VERSION:-9.2.0}"
cache="${VIGIL_ES_CACHE:-/var/tmp/vigil-elasticsearch}"
mode="${1:-run}"
[ $# -gt 0 ] && shift
port=""
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "server.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$dir" ] || dir="${TMPDIR:-/tmp}/vigil-elasticsearch-node"
pidfile="$dir/elasticsearch.pid"

stop() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    local pid; pid="$(cat "$pidfile")"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "server.sh: stopped Elasticsearch (pid $pid)" >&2
  fi
  rm -f "$pidfile"
}
case "$mode" in
  stop) stop; exit 0 ;;
  run|start) ;;
  *) echo "server.sh: unknown command $mode (run, start or stop)" >&2; exit 2 ;;
esac

# Elasticsearch 9 needs Java 21 or later; the system java may be older.
java_home="${ES_JAVA_HOME:-}"
if [ -z "$java_home" ]; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*-25-* /usr/lib/jvm/*-21-* "${JAVA_HOME:-}"; do
    if [ -n "$j" ] && [ -x "$j/bin/java" ]; then java_home="$j"; break; fi
  done
fi
[ -n "$java_home" ] || { echo "server.sh: no Java 21+ found (set ES_JAVA_HOME)" >&2; exit 3; }
command -v mvn >/dev/null || { echo "server.sh: mvn is not installed" >&2; exit 3; }

home="$cache/elasticsearch-$version"
if [ ! -x "$home/bin/elasticsearch" ]; then
  echo "server.sh: resolving Elasticsearch $version from Maven Central (once)" >&2
  mkdir -p "$cache"
  mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip" "-DoutputDirectory=$cache" >&2
  rm -rf "$home.part" && mkdir -p "$home.part"
  (cd "$home.part" && unzip -q "$cache/elasticsearch-$version.zip")
  mv "$home.part/elasticsearch-$version" "$home" && rm -rf "$home.part" "$cache/elasticsearch-$version.zip"
  chmod -R a+rX "$cache"
fi

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
fixed_port="$port"

# One attempt on fresh ports: 0 once the node answers, 1 (its log printed, it stopped) if not.
launch() {
[ -n "$fixed_port" ] && port="$fixed_port" || port="$(free_port)"
tport="$(free_port)"
stop
mkdir -p "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
cp "$home/config/log4j2.properties" "$dir/config/"
# Only the node's own options: the distribution's jvm.options writes GC logs and heap dumps
# into the working folder, which is not the node's.
cat > "$dir/config/jvm.options" <<'OPTS'
-Xms512m
-Xmx512m
-XX:+UseG1GC
-Djava.io.tmpdir=${ES_TMPDIR}
-XX:+ExitOnOutOfMemoryError
OPTS
cat > "$dir/config/elasticsearch.yml" <<YML
cluster.name: vigil-test
node.name: vigil-test-node
discovery.type: single-node
network.host: 127.0.0.1
http.port: $port
transport.port: $tport
path.data: $dir/data
path.logs: $dir/logs
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
YML
as=()
if [ "$(id -u)" = 0 ]; then
  chown -R nobody "$dir"
  as=(runuser -u nobody --)
fi
started=$(date +%s)
# Elasticsearch writes its own pid file, as the user it runs as.
"${as[@]}" env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$dir/config" ES_TMPDIR="$dir/tmp" \
  "$home/bin/elasticsearch" -d -p "$pidfile" >"$dir/logs/stdout.log" 2>&1 || true

url="http://127.0.0.1:$port"
# The core server has no `GET /`: the cluster health endpoint says when it answers.
until curl -fsS "$url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; do
  if [ $(($(date +%s) - started)) -gt 120 ] || { [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; } \
    || { [ ! -f "$pidfile" ] && [ $(($(date +%s) - started)) -gt 15 ]; }; then
    echo "server.sh: Elasticsearch did not answer on $url; its log:" >&2
    tail -n 30 "$dir/logs/stdout.log" "$dir/logs/vigil-test.log" 2>/dev/null >&2 || true
    stop
    return 1
  fi
  sleep 0.5
done
}

# A port picked free can be taken by another process before the node binds it: try twice.
launch || { echo "server.sh: trying once more on other ports" >&2; launch; } || exit 1
echo "server.sh: Elasticsearch $version on $url after $(($(date +%s) - started)) s (data in $dir; stop: $0 stop --dir $dir)" >&2
echo "$url"
if [ "$mode" = run ]; then
  trap 'stop; exit 0' INT TERM
  while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 1; done
fi
