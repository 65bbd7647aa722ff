#!/bin/sh
# Installs a packed Kubegate (`npm pack`) with its production dependencies only into a
# directory, the way the Dockerfile builds the image and the package test checks it:
#   scripts/install-package.sh kubegate-0.1.0.tgz /opt/kubegate
# Then <dir>/node_modules/.bin/kubegate is the command. Native dependencies
# (better-sqlite3) are compiled here when no prebuilt binary can be fetched.
set -eu
if [ $# -ne 2 ]; then
  echo "usage: $0 <kubegate-VERSION.tgz> <install dir>" >&2
  exit 2
fi
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2"
cd "$2"
[ -f package.json ] || printf '{ "name": "kubegate-install", "private": true }\n' > package.json
# --prefer-offline: packages already in the npm cache are not asked for again.
npm install --omit=dev --prefer-offline --no-audit --no-fund --no-update-notifier "$tarball"
test -x node_modules/.bin/kubegate
