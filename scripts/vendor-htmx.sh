#!/usr/bin/env bash
# Refresh the vendored htmx files of the web app from the npm registry (`npm pack`, no install,
# no build). The copies are committed, so running the app or its tests never needs npm.
set -euo pipefail
HTMX=${HTMX:-2.0.11}
SSE=${SSE:-2.2.4}
DEST="$(cd "$(dirname "$0")/.." && pwd)/services/gateway/src/strata/gateway/pages/static"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack --silent "htmx.org@$HTMX" "htmx-ext-sse@$SSE" >/dev/null
tar xzf "htmx.org-$HTMX.tgz" && cp package/dist/htmx.min.js "$DEST/htmx.min.js" && rm -rf package
tar xzf "htmx-ext-sse-$SSE.tgz" && cp package/sse.js "$DEST/sse.js"
echo "htmx $HTMX and htmx-ext-sse $SSE copied to $DEST"
