#!/usr/bin/env bash
# The browser tests drive Debian's chromium through Playwright's executable_path (no browser
# download is possible here, so never `playwright install`). Installs it once; a second call
# returns at once.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing: run as root or 'sudo apt-get install -y chromium'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
