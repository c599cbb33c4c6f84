#!/usr/bin/env bash
# The unit and engine tests again on each Node.js LTS line users run, besides the machine's own
# Node. The binaries come from the npm registry's node-linux-<arch> packages (what the `node`
# package installs), cached under .cache/node/. Run after `npm test`, which builds dist/.
#
#   scripts/test-node-lines.sh              # every line in NODE_LINES
#   scripts/test-node-lines.sh 24.22.3      # one version
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: the newest release of each line on the day it was last raised.
NODE_LINES=(22.23.5 24.22.3)
versions=("$@")
((${#versions[@]} > 0)) || versions=("${NODE_LINES[@]}")

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "test-node-lines: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac

node_binary() {
  local version=$1 dir=".cache/node/$1"
  if [[ ! -x "$dir/bin/node" ]]; then
    echo "test-node-lines: fetching node-linux-$arch@$version from the npm registry" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    local tarball
    tarball=$(cd "$dir" && npm pack --silent "node-linux-$arch@$version")
    tar -xzf "$dir/$tarball" -C "$dir" --strip-components=1
    rm -f "$dir/$tarball"
  fi
  echo "$PWD/$dir/bin"
}

for version in "${versions[@]}"; do
  bin=$(node_binary "$version")
  echo "test-node-lines: Node $("$bin/node" --version): the DuckDB and gRPC modules, then every test"
  # Children the tests spawn by name (`node`) run on the same line.
  PATH="$bin:$PATH" node -e "
    require('@duckdb/node-api'); require('@grpc/grpc-js');
    console.log('test-node-lines: DuckDB and gRPC load on ' + process.version);"
  PATH="$bin:$PATH" node node_modules/vitest/vitest.mjs run
done
