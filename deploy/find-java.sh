#!/usr/bin/env bash
# Prints the home of a JDK >= 25: $JAVA_HOME, then `java` on PATH, then the usual install folders.
conclave_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = //p' | head -n1
}
conclave_find_java() {
  local candidates=()
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  candidates+=(/usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home)
  local c v
  for c in "${candidates[@]}"; do
    [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
    v="$(conclave_java_major "$c")"
    if [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 25 )); then
      echo "$c"
      return 0
    fi
  done
  echo "conclave: no JDK >= 25 found (looked at JAVA_HOME, PATH, /usr/lib/jvm, /opt); install Temurin 25" >&2
  return 1
}
