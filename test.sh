#!/usr/bin/env bash
# Builds everything and runs the whole test suite with a JDK >= 25 (found automatically).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$ROOT/deploy/find-java.sh"
JAVA_HOME="$(conclave_find_java)" || exit 1
export JAVA_HOME
cd "$ROOT"
MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" exec mvn -B -ntp install "$@"
