#!/usr/bin/env bash
# A single-node Apache Kafka broker in KRaft mode, for Vigil's live tests and for developers
# (`npm run kafka:dev`). Test infrastructure only: the jars come from Maven Central through
# pom.xml beside this file (`mvn -q dependency:copy-dependencies`, run by .ci/run and on the
# first use here). Runs in the foreground until killed.
#
#   .ci/kafka/broker.sh [--port 9092] [--controller-port 9093] [--dir DIR]
#
# The data folder is kept between runs (a restart keeps topics and committed offsets); a
# fresh one is formatted on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port=9092
cport=""
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --controller-port) cport="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "broker.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$cport" ] || cport=$((port + 1))
[ -n "$dir" ] || dir="${TMPDIR:-/tmp}/vigil-kafka-$port"
command -v java >/dev/null || { echo "broker.sh: java is not installed" >&2; exit 3; }
if [ ! -d "$here/target/dependency" ]; then
  echo "broker.sh: resolving the Kafka jars from Maven Central (once)" >&2
  (cd "$here" && mvn -q -B dependency:copy-dependencies >&2)
fi
mkdir -p "$dir"
cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
cat > "$dir/log4j2.properties" <<'PROPS'
rootLogger.level=WARN
rootLogger.appenderRef.stderr.ref=STDERR
appender.stderr.type=Console
appender.stderr.name=STDERR
appender.stderr.target=SYSTEM_ERR
appender.stderr.layout.type=PatternLayout
appender.stderr.layout.pattern=[kafka] %d{HH:mm:ss} %p %c{1}: %m%n
PROPS
cp="$here/target/dependency/*"
jvm=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties")
if [ ! -f "$dir/data/meta.properties" ]; then
  java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$(java -cp "$cp" kafka.tools.StorageTool random-uuid)" -c "$dir/server.properties" >&2
fi
echo "broker.sh: Kafka on 127.0.0.1:$port (data in $dir)" >&2
exec java "${jvm[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties"
