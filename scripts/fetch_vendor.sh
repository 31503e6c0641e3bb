#!/usr/bin/env bash
# Fetch the pinned front-end libraries from the npm registry into static/vendor/.
# npm verifies each tarball against the registry's integrity hash.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/static/vendor"
manifest="$root/static/vendor.lock"
stamp="$vendor/.stamp"
if [ -f "$stamp" ] && cmp -s "$stamp" "$manifest"; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: apt-get install npm (or install Node.js 20+)" >&2; exit 1; }
mkdir -p "$vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Each manifest line: <npm package>@<version> <path inside the package> <file name in static/vendor>
grep -v '^#' "$manifest" | while read -r spec inner name; do
  [ -n "$spec" ] || continue
  dir="$work/$(echo "$spec" | tr '/@' '__')"
  if [ ! -d "$dir/package" ]; then  # one download per package, however many files it gives
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  fi
  mkdir -p "$(dirname "$vendor/$name")"
  cp "$dir/package/$inner" "$vendor/$name"
  echo "vendored $spec $inner -> static/vendor/$name"
done
cp "$manifest" "$stamp"
