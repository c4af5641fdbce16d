#!/usr/bin/env bash
# API load test: gunicorn on 127.0.0.1 against PostgreSQL with the demo data (`manage.py seed_demo`), a Celery worker
# for the drills and Redis as broker and cache, then locust headless — 50 treasurers for 60 s by default, plus one
# user who starts drills and polls them — and a Markdown table of the results. Traffic goes to 127.0.0.1 only.
#
#   loadtest/run.sh                      (or: make loadtest)
#   LOADTEST_USERS=50 LOADTEST_RUN_TIME=60s LOADTEST_WORKERS=4 loadtest/run.sh
#   LOADTEST_THINK=0 loadtest/run.sh     (no think time: the throughput at saturation)
#   LOADTEST_REDIS_URL=redis://127.0.0.1:6379/14   (broker and cache, a Redis database of its own: emptied first)
#   LOADTEST_DRILLS=10 LOADTEST_DRILL_PATHS=200     (drills started in the run; paths of the Monte Carlo ones)
#   LOADTEST_CACHE=off loadtest/run.sh   (the per-company cache off: what every request costs uncached)
#
# Production settings (DEBUG off, static files collected); the throttles are raised for the run, because it measures
# what the server sustains, not the throttle. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${LOADTEST_PORT:-8765}
USERS=${LOADTEST_USERS:-50}
SPAWN_RATE=${LOADTEST_SPAWN_RATE:-10}
RUN_TIME=${LOADTEST_RUN_TIME:-60s}
WORKERS=${LOADTEST_WORKERS:-4}
OUT=${LOADTEST_OUT:-/tmp/financeplanner-loadtest}
mkdir -p "$OUT"

export DATABASE_URL=${LOADTEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/financeplanner_loadtest}
REDIS_URL=${LOADTEST_REDIS_URL:-redis://127.0.0.1:6379/14}
case "$REDIS_URL" in redis://127.0.0.1:*|redis://localhost:*) ;; *) echo "LOADTEST_REDIS_URL must be on 127.0.0.1"; exit 2;; esac
export DEBUG=false ALLOWED_HOSTS=127.0.0.1,localhost CELERY_BROKER_URL=$REDIS_URL CACHE_URL=$REDIS_URL
export LOADTEST_OUT=$OUT
[ "${LOADTEST_CACHE:-on}" = off ] && export COMPANY_CACHE=false
export SECRET_KEY=${SECRET_KEY:-$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(64))')}
export THROTTLE_USER=100000000/hour THROTTLE_EXPORTS=10000000/minute THROTTLE_ANON=1000000/minute
export LOG_LEVEL=WARNING

$BIN/python - <<'PY'
import os, psycopg
url = os.environ["DATABASE_URL"]
name = url.rsplit("/", 1)[1]
with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
    if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        connection.execute(f'CREATE DATABASE "{name}"')
PY
$BIN/python manage.py migrate --noinput -v 0
$BIN/python manage.py seed_demo >/dev/null 2>&1
$BIN/python manage.py collectstatic --noinput -v 0
eval "$($BIN/python manage.py shell -c '
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
user = get_user_model().objects.get(username="demo")
session = SessionStore()
session[SESSION_KEY], session[HASH_SESSION_KEY] = str(user.pk), user.get_session_auth_hash()
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session["company_slug"] = "demo"
session.create()
print(f"export LOADTEST_TOKEN={Token.objects.get_or_create(user=user)[0].key} LOADTEST_SESSION={session.session_key}")
' 2>/dev/null | grep '^export LOADTEST_')"

$BIN/python - <<'PY'
# The broker's leftovers of an earlier run would start drills nobody waits for; the cache's would be stale.
import os, redis
client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
client.flushdb()
PY

$BIN/celery -A financeplanner worker --loglevel=WARNING --concurrency 1 --pool prefork --hostname "loadtest@%h" \
  --without-gossip --without-mingle --logfile "$OUT/worker.log" &
WORKER=$!
$BIN/gunicorn financeplanner.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --access-logfile /dev/null --error-logfile "$OUT/gunicorn.log" &
GUNICORN=$!
stop() {
  kill "$GUNICORN" 2>/dev/null; wait "$GUNICORN" 2>/dev/null || true
  kill -TERM "$WORKER" 2>/dev/null
  for _ in $(seq 20); do kill -0 "$WORKER" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$WORKER" 2>/dev/null; wait "$WORKER" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" && break
  sleep 0.5
done

# CPU time (user + system) of the web processes, in clock ticks: what the requests cost the server, which the
# latencies only show mixed with everything else the machine runs.
web_ticks() {
  local total=0 pid
  for pid in "$GUNICORN" $(pgrep -P "$GUNICORN"); do
    total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)))
  done
  echo "$total"
}
ticks_before=$(web_ticks)

status=0
# One more user than LOADTEST_USERS: the drill runner (locustfile.DrillRunner, fixed_count = 1).
$BIN/locust -f loadtest/locustfile.py --headless --users "$((USERS + 1))" --spawn-rate "$SPAWN_RATE" \
  --run-time "$RUN_TIME" --stop-timeout 10 --host "http://127.0.0.1:$PORT" --csv "$OUT/locust" --only-summary --loglevel WARNING \
  || status=$?
echo "scale=3; ($(web_ticks) - $ticks_before) / $(getconf CLK_TCK)" | bc > "$OUT/web_cpu_seconds"
echo
echo "$USERS users + 1 drill runner, think time ${LOADTEST_THINK:-0.5-1.5} s, $RUN_TIME, gunicorn --workers $WORKERS (sync)," \
  "1 Celery worker, DEBUG=false, PostgreSQL, Redis cache ${LOADTEST_CACHE:-on}, demo company, load average $(cut -d' ' -f1-3 /proc/loadavg):"
$BIN/python loadtest/report.py "$OUT/locust" "$OUT/drills.csv" "$OUT/web_cpu_seconds"
exit $status
