#!/usr/bin/env bash
# Make sure what the test suite needs answers on 127.0.0.1: PostgreSQL, Redis and Chromium.
# Start them (or install them from the system packages, as root) when we can; otherwise say what is missing.
set -u

have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  [ "$(id -u)" = 0 ] && have apt-get || return 1
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null 2>&1; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if have pg_ctlcluster && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1
  else
    apt_install postgresql && pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  fi
  for _ in $(seq 20); do pg_up && break; sleep 0.5; done
  pg_up || { echo "The tests need PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and it could not be started."; exit 1; }
fi

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
if ! redis_up; then
  have redis-server || apt_install redis-server
  have redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 20); do redis_up && break; sleep 0.5; done
  redis_up || { echo "The tests need Redis on 127.0.0.1:6379 and it could not be started."; exit 1; }
fi

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  apt_install chromium fonts-noto-cjk
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || {
    echo "The browser tests need Chromium at /usr/bin/chromium (Debian package 'chromium') and it could not be installed."; exit 1; }
fi
# Chinese pages and screenshots need a CJK font; install it quietly when we can.
fc-list 2>/dev/null | grep -qi "cjk" || apt_install fonts-noto-cjk || true

exit 0
