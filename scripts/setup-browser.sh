#!/usr/bin/env bash
# Installs Debian's chromium for the browser test of the Dagster UI (alas_assets_tests/automation/test_ui_browser.py).
# Runs only when chromium is missing and apt-get can be used as root; otherwise it says why and leaves
# the test to skip itself. The browser comes from Debian's packages: never `playwright install`.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: /usr/bin/chromium is missing and apt-get cannot be run as root here; the browser test will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "setup-browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
