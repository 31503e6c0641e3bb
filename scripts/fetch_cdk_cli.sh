#!/usr/bin/env bash
# Install the pinned AWS CDK CLI from the npm registry into .local/cdk/ (make deploy only;
# make synth and the tests need no CLI). npm verifies the tarball's integrity hash.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="2.1148.1"
dest="$root/.local/cdk"
stamp="$dest/.version"
if [ -x "$dest/node_modules/.bin/cdk" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (apt-get install npm)" >&2; exit 1; }
mkdir -p "$dest"
npm install --silent --no-audit --no-fund --prefix "$dest" "aws-cdk@$version"
echo "$version" > "$stamp"
echo "installed aws-cdk $version in .local/cdk"
