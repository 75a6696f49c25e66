#!/usr/bin/env bash
# Builds the MultiNIC image (publisher and agent in one). Usage:
#   scripts/build-image.sh [tag]        default tag: multinic:<package.json version>
set -euo pipefail
cd "$(dirname "$0")/.."

command -v docker >/dev/null 2>&1 || { echo "build-image.sh: docker is not installed" >&2; exit 1; }
version="$(node -p "require('./package.json').version")"
tag="${1:-multinic:${version}}"

docker build --pull --tag "$tag" .
echo "built $tag"
