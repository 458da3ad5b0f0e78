#!/usr/bin/env bash
# Resolves Kafka's own command-line tools (org.apache.kafka:kafka-tools, the jar behind
# kafka-producer-perf-test.sh / kafka-consumer-perf-test.sh) from Maven Central, the same version and
# cache as deploy/local/kafka.sh, and prints the directory holding the jars (for `java -cp "<dir>/*"`).
#
#   bench/kafka-tools.sh     print the jar directory, resolving it once (needs mvn and Java 17+)
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
CACHE_DIR="${MESHFAB_CACHE_DIR:-$HOME/.cache/meshfab}"
LIBS="$CACHE_DIR/kafka-tools-$KAFKA_VERSION/libs"

if [ ! -f "$LIBS/.complete" ]; then
  command -v mvn >/dev/null || { echo "Maven (mvn) is required to fetch kafka-tools from Maven Central" >&2; exit 1; }
  command -v java >/dev/null || { echo "Java 17+ is required to run kafka-tools" >&2; exit 1; }
  echo "resolving org.apache.kafka:kafka-tools:$KAFKA_VERSION from Maven Central into $LIBS" >&2
  work="$(mktemp -d)"
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>meshfab.local</groupId><artifactId>kafka-tools-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>2.0.17</version></dependency>
  </dependencies>
</project>
POM
  mkdir -p "$LIBS"
  mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
  rm -rf "$work"
  touch "$LIBS/.complete"
fi
echo "$LIBS"
