#!/usr/bin/env bash
# Runs the real Apache Kafka broker (KRaft, one combined broker+controller) from its Maven Central
# jars with the machine's Java 17 — for machines without a Docker engine (this project's CI).
#
#   deploy/local/kafka.sh up      resolve the jars (cached), format storage once, start, wait until it answers
#   deploy/local/kafka.sh up --sasl   the same plus a SASL_PLAINTEXT listener on KAFKA_SASL_PORT
#                                 (PLAIN and SCRAM-SHA-512, one user: KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD)
#   deploy/local/kafka.sh up --sasl --tls   and a SASL_SSL listener on KAFKA_SASL_SSL_PORT, its certificate
#                                 signed by a CA generated once (openssl) into <data dir>/kafka/tls/ca.crt
#   deploy/local/kafka.sh down    stop it cleanly by pid
#   deploy/local/kafka.sh status  say whether it runs
#
# Environment: KAFKA_VERSION (default below), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_SASL_PORT (9096), KAFKA_SASL_SSL_PORT (9097), KAFKA_SASL_USERNAME (meshfab), KAFKA_SASL_PASSWORD (meshfab-secret),
# MESHFAB_DATA_DIR (./.data), MESHFAB_CACHE_DIR (~/.cache/meshfab). SCRAM credentials are written when
# the storage is formatted (KRaft keeps them in its metadata log), so a SASL broker wants a data
# directory of its own: give it its own MESHFAB_DATA_DIR and ports, never the one of a broker others
# use. Pick ports below the ephemeral
# range (/proc/sys/net/ipv4/ip_local_port_range, 32768+ on Linux): a port in it may be held by any
# outbound connection, and the broker then fails with "Address already in use".
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
SASL_PORT="${KAFKA_SASL_PORT:-9096}"
SASL_USERNAME="${KAFKA_SASL_USERNAME:-meshfab}"
SASL_PASSWORD="${KAFKA_SASL_PASSWORD:-meshfab-secret}"
SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-9097}"
SASL=false
TLS=false
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${MESHFAB_DATA_DIR:-$ROOT/.data}"
CACHE_DIR="${MESHFAB_CACHE_DIR:-$HOME/.cache/meshfab}"
LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_DIR="$DATA_DIR/kafka"
PID_FILE="$KAFKA_DIR/kafka.pid"
LOG_FILE="$KAFKA_DIR/kafka.log"

log() { printf '[kafka] %s\n' "$*" >&2; }

resolve_jars() {
  if [ -f "$LIBS/.complete" ]; then return; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch Kafka from Maven Central"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is required to run Kafka"; exit 1; }
  log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central into $LIBS"
  local work; work="$(mktemp -d)"
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>meshfab.local</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
  mkdir -p "$LIBS"
  mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
  rm -rf "$work"
  touch "$LIBS/.complete"
}

is_running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/${1:-$KAFKA_PORT}") 2>/dev/null; }

# A CA and a broker certificate for 127.0.0.1/localhost, made once per data directory (PEM; the key
# unencrypted PKCS#8, as Kafka's PEM key store reads it).
make_certificates() {
  local dir="$KAFKA_DIR/tls"
  [ -f "$dir/broker.pem" ] && return
  command -v openssl >/dev/null || { log "openssl is required for --tls"; exit 1; }
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=meshfab-local-kafka-ca" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/broker.key" -out "$dir/broker.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/broker.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 3650 \
    -extfile "$dir/san.ext" -out "$dir/broker.crt" >/dev/null 2>&1
  cat "$dir/broker.key" "$dir/broker.crt" >"$dir/broker.pem"
  chmod 600 "$dir"/*.key "$dir/broker.pem"
}

write_config() {
  mkdir -p "$KAFKA_DIR/logs"
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [ "$SASL" = true ]; then
    listeners="$listeners,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT"
    advertised="$advertised,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT"
    protocols="$protocols,SASL_PLAINTEXT:SASL_PLAINTEXT"
  fi
  if [ "$TLS" = true ]; then
    listeners="$listeners,SASL_SSL://127.0.0.1:$SASL_SSL_PORT"
    advertised="$advertised,SASL_SSL://127.0.0.1:$SASL_SSL_PORT"
    protocols="$protocols,SASL_SSL:SASL_SSL"
  fi
  cat >"$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$KAFKA_DIR/logs
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
PROPS
  if [ "$SASL" = true ]; then
    # PLAIN checks the users listed here; SCRAM-SHA-512 the credentials formatted into the metadata log.
    cat >>"$KAFKA_DIR/server.properties" <<PROPS
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USERNAME="$SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
  fi
  if [ "$TLS" = true ]; then
    cat >>"$KAFKA_DIR/server.properties" <<PROPS
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USERNAME="$SASL_PASSWORD";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$KAFKA_DIR/tls/broker.pem
PROPS
  fi
  cat >"$KAFKA_DIR/log4j2.properties" <<L4J
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $KAFKA_DIR/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
L4J
}

java_run() {
  java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$LIBS/*" "$@"
}

up() {
  if is_running && port_open; then
    if { [ "$SASL" = true ] && ! port_open "$SASL_PORT"; } || { [ "$TLS" = true ] && ! port_open "$SASL_SSL_PORT"; }; then
      log "already running (pid $(cat "$PID_FILE")) without the listener asked for: '$0 down' first, then '$0 up --sasl [--tls]'"; exit 1
    fi
    log "already running (pid $(cat "$PID_FILE")) on 127.0.0.1:$KAFKA_PORT"; return
  fi
  if is_running; then
    log "a broker from $KAFKA_DIR runs (pid $(cat "$PID_FILE")) but not on port $KAFKA_PORT;" \
      "stop it with '$0 down' or give this one its own MESHFAB_DATA_DIR"
    exit 1
  fi
  if port_open; then log "port $KAFKA_PORT is taken by another process; set KAFKA_PORT"; exit 1; fi
  if [ "$SASL" = true ] && port_open "$SASL_PORT"; then log "port $SASL_PORT is taken by another process; set KAFKA_SASL_PORT"; exit 1; fi
  if [ "$TLS" = true ] && port_open "$SASL_SSL_PORT"; then log "port $SASL_SSL_PORT is taken by another process; set KAFKA_SASL_SSL_PORT"; exit 1; fi
  resolve_jars
  if [ "$TLS" = true ]; then make_certificates; fi
  write_config
  # Who the SCRAM credentials formatted into this storage are for (user and a hash of the password).
  local scram_id="$SASL_USERNAME:$(printf '%s' "$SASL_PASSWORD" | sha256sum | cut -c1-16)"
  if [ ! -f "$KAFKA_DIR/logs/meta.properties" ]; then
    log "formatting KRaft storage in $KAFKA_DIR/logs"
    local scram=()
    if [ "$SASL" = true ]; then scram=(--add-scram "SCRAM-SHA-512=[name=$SASL_USERNAME,password=$SASL_PASSWORD]"); fi
    java_run kafka.tools.StorageTool format --standalone -t "$(java_run kafka.tools.StorageTool random-uuid)" \
      -c "$KAFKA_DIR/server.properties" "${scram[@]}" >>"$LOG_FILE" 2>&1
    if [ "$SASL" = true ]; then echo "$scram_id" >"$KAFKA_DIR/scram-user"; else rm -f "$KAFKA_DIR/scram-user"; fi
  elif [ "$SASL" = true ] && [ "$(cat "$KAFKA_DIR/scram-user" 2>/dev/null)" != "$scram_id" ]; then
    log "the storage in $KAFKA_DIR was formatted without SCRAM credentials for this KAFKA_SASL_USERNAME/PASSWORD" \
      "(they are written only at format time): delete $KAFKA_DIR, or give the SASL broker its own MESHFAB_DATA_DIR"
    exit 1
  fi
  if [ "$TLS" = true ]; then
    log "starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT, SASL_PLAINTEXT (PLAIN, SCRAM-SHA-512, user $SASL_USERNAME) on 127.0.0.1:$SASL_PORT," \
      "SASL_SSL on 127.0.0.1:$SASL_SSL_PORT (CA: $KAFKA_DIR/tls/ca.crt) (log: $LOG_FILE)"
  elif [ "$SASL" = true ]; then
    log "starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT, SASL_PLAINTEXT (PLAIN, SCRAM-SHA-512, user $SASL_USERNAME) on 127.0.0.1:$SASL_PORT (log: $LOG_FILE)"
  else
    log "starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (log: $LOG_FILE)"
  fi
  # server.log is appended across restarts: only lines written by this start count as "started".
  local seen=0; [ -f "$KAFKA_DIR/server.log" ] && seen="$(wc -l <"$KAFKA_DIR/server.log")"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 120); do
    if ! is_running; then log "Kafka exited during start-up; last lines of $KAFKA_DIR/server.log:"; tail -n 30 "$KAFKA_DIR/server.log" "$LOG_FILE" >&2 || true; exit 1; fi
    if port_open && tail -n +"$((seen + 1))" "$KAFKA_DIR/server.log" 2>/dev/null | grep -q "Kafka Server started\|KafkaRaftServer.*started\|\[KafkaRaftServer nodeId=1\] Kafka Server started"; then
      log "ready (pid $(cat "$PID_FILE"))"; return
    fi
    sleep 0.5
  done
  log "Kafka did not become ready within 60 s"; exit 1
}

down() {
  if ! is_running; then log "not running"; rm -f "$PID_FILE"; return; fi
  local pid; pid="$(cat "$PID_FILE")"
  log "stopping pid $pid"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do is_running || { rm -f "$PID_FILE"; log "stopped"; return; }; sleep 0.5; done
  log "did not stop within 30 s; killing"; kill -KILL "$pid" 2>/dev/null || true; rm -f "$PID_FILE"
}

command="${1:-}"
shift || true
for option in "$@"; do
  case "$option" in
    --sasl) SASL=true ;;
    --tls) TLS=true ;;
    *) echo "unknown option $option (usage: $0 up [--sasl [--tls]]|down|status)" >&2; exit 2 ;;
  esac
done
if [ "$TLS" = true ] && [ "$SASL" != true ]; then echo "--tls adds a SASL_SSL listener: give --sasl too" >&2; exit 2; fi

case "$command" in
  up) up ;;
  down) down ;;
  status) if is_running; then echo "running (pid $(cat "$PID_FILE"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 up [--sasl [--tls]]|down|status" >&2; exit 2 ;;
esac
