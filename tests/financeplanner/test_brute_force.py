"""Password guessing, performed: forged X-Forwarded-For, two real gunicorn workers sharing Redis, the admin login,
and an attacker trying to lock a colleague out from another address.

Semantics (README "Security"): failed logins are counted per username *and* client address together (django-axes;
AXES_FAILURE_LIMIT failures lock that pair for AXES_COOLOFF_TIME), and every attempt per client address over all
usernames (THROTTLE_LOGIN). The client address is REMOTE_ADDR unless it is a TRUSTED_PROXIES proxy.
"""

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache

from tests import workers
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "pw-for-tests-123"


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def limits(settings, fresh_cache):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "10/minute"},
    }
    settings.TRUSTED_PROXIES = []
    return settings


def forged() -> str:
    return (
        f"{secrets.randbelow(223) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    )


def token_attempt(client, username, password, **extra):
    body = json.dumps({"username": username, "password": password})
    return client.post("/api/v1/auth/token/", body, content_type="application/json", **extra)


# -- in the web process: the attacks against each login door ------------------------------------------------------


@pytest.mark.django_db
def test_forged_x_forwarded_for_does_not_bypass_the_token_lockout(client, limits):
    victim = UserFactory(username="victim")
    codes = [token_attempt(client, "victim", f"guess-{n}", HTTP_X_FORWARDED_FOR=forged()).status_code for n in range(3)]
    assert codes == [400, 400, 429]  # the 3rd failure locks (victim, 127.0.0.1) whatever the header said
    locked = token_attempt(client, "victim", PASSWORD, HTTP_X_FORWARDED_FOR=forged())
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert "locked for 15 minutes" in locked.json()["detail"]
    assert int(locked["Retry-After"]) == 900
    # The same account from another address still works: the lock is per username and address.
    ok = token_attempt(client, "victim", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert ok.status_code == 200 and ok.json()["token"]
    assert victim.auth_token.key == ok.json()["token"]


@pytest.mark.django_db
def test_forged_x_forwarded_for_does_not_escape_the_per_address_rate(client, limits):
    codes = [token_attempt(client, f"user-{n}", "x", HTTP_X_FORWARDED_FOR=forged()).status_code for n in range(11)]
    assert codes[:10] == [400] * 10  # ten different usernames: no pair reaches 3 failures
    assert codes[10] == 429  # but the address has used up its 10 tries a minute
    assert token_attempt(client, "user-x", "x", REMOTE_ADDR="203.0.113.10").status_code == 400  # another address


@pytest.mark.django_db
def test_html_login_locks_the_guessed_account_from_that_address_only(client, limits):
    UserFactory(username="colleague")
    for n in range(2):
        page = client.post("/accounts/login/", {"username": "colleague", "password": f"guess-{n}"})
        assert page.status_code == 200  # the form again, with its error
    locked = client.post("/accounts/login/", {"username": "colleague", "password": "guess-3"})
    assert locked.status_code == 429
    assert "locked for 15 minutes" in locked.content.decode()
    assert client.post("/accounts/login/", {"username": "colleague", "password": PASSWORD}).status_code == 429
    # The attacker at 127.0.0.1 cannot lock the colleague out of their own address.
    signed_in = client.post(
        "/accounts/login/", {"username": "colleague", "password": PASSWORD}, REMOTE_ADDR="198.51.100.20"
    )
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_admin_login_is_limited(client, limits):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    codes = [
        client.post("/admin/login/", {"username": "root", "password": f"guess-{n}", "next": "/admin/"}).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    refused = client.post("/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert refused.status_code == 429 and "locked" in refused.content.decode()
    # Past the per-address rate (10 a minute here), the admin login is refused before any password is checked.
    codes = [
        client.post(
            "/admin/login/", {"username": f"admin-{n}", "password": "x"}, REMOTE_ADDR="198.51.100.30"
        ).status_code
        for n in range(11)
    ]
    assert codes == [200] * 10 + [429]


@pytest.mark.django_db
def test_the_lockout_cools_off(client, limits):
    limits.AXES_COOLOFF_TIME = timedelta(seconds=1)
    UserFactory(username="forgetful")
    for n in range(3):
        token_attempt(client, "forgetful", f"guess-{n}")
    assert token_attempt(client, "forgetful", PASSWORD).status_code == 429
    time.sleep(1.3)
    assert token_attempt(client, "forgetful", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_only_a_trusted_proxy_names_the_client(client, limits):
    limits.TRUSTED_PROXIES = ["10.0.0.0/8"]
    UserFactory(username="behind-proxy")
    # Through the proxy at 10.0.0.2: the client wrote a forged hop, the proxy appended the real 192.0.2.7.
    for _ in range(3):
        token_attempt(
            client, "behind-proxy", "x", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{forged()}, 192.0.2.7"
        )
    assert (
        token_attempt(
            client, "behind-proxy", PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.7"
        ).status_code
        == 429
    )
    # Another client behind the same proxy is someone else.
    assert (
        token_attempt(
            client, "behind-proxy", PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.8"
        ).status_code
        == 200
    )
    # A client that is not a proxy of ours cannot claim to be forwarding for 192.0.2.8.
    for _ in range(3):
        token_attempt(client, "behind-proxy", "x", REMOTE_ADDR="198.51.100.40", HTTP_X_FORWARDED_FOR="192.0.2.8")
    assert (
        token_attempt(
            client, "behind-proxy", PASSWORD, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.8"
        ).status_code
        == 200
    )


# -- across two real gunicorn workers sharing Redis ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn --workers 2` on 127.0.0.1 against the test database, counting in the test run's Redis db."""

    def __init__(self, redis_url: str):
        self.port = _free_port()
        logs = ROOT / ".pytest-workers"
        logs.mkdir(exist_ok=True)
        self.access_log = logs / f"gunicorn-access-{self.port}.log"
        self.error_log = logs / f"gunicorn-error-{self.port}.log"
        env = {
            **os.environ,
            "DATABASE_URL": workers.test_database_url(),
            "CACHE_URL": redis_url,
            "CELERY_BROKER_URL": "",
            "TRUSTED_PROXIES": "127.0.0.1",
            "AXES_FAILURE_LIMIT": "5",
            "THROTTLE_LOGIN": "8/minute",
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "financeplanner.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                "%(p)s %(s)s %(U)s",
                "--error-logfile",
                str(self.error_log),
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.error_log.read_text()}")
            booted = self.error_log.exists() and self.error_log.read_text().count("Booting worker") >= 2
            if booted:
                with contextlib.suppress(OSError):  # not answering yet: try again
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=30).close()  # noqa: S310
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not start:\n{self.error_log.read_text()}")

    def token(self, username: str, password: str, client: str, forged_hop: str | None = None) -> tuple[int, bytes]:
        body = json.dumps({"username": username, "password": password}).encode()
        # What our proxy would send: whatever the client wrote, then the address the proxy saw.
        forwarded = f"{forged_hop}, {client}" if forged_hop else client
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/auth/token/",
            data=body,
            headers={"X-Forwarded-For": forwarded, "Connection": "close", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def pids_that_served(self, path: str) -> list[str]:
        return [m.group(1) for m in re.finditer(rf"^<(\d+)> \d+ {re.escape(path)}$", self.access_log.read_text(), re.M)]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def gunicorn(django_db_setup):
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("This test needs the run's Redis: run it with CELERY_BROKER_URL (make test sets it).")
    server = Gunicorn(settings.CELERY_BROKER_URL)  # the run's private Redis db, on 127.0.0.1
    yield server
    server.stop()


def in_pairs(gunicorn, attempts) -> list[int]:
    """Send the (username, password, client) attempts two at a time, so that each worker takes one of each pair."""
    codes = []
    for pair in zip(attempts[::2], attempts[1::2], strict=True):
        results = [None, None]

        def attempt(slot, pair=pair, results=results):
            username, password, client = pair[slot]
            results[slot] = gunicorn.token(username, password, client, forged_hop=forged())[0]

        threads = [threading.Thread(target=attempt, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        codes += results
    return codes


def random_address(prefix: str) -> str:
    return f"{prefix}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


@pytest.mark.django_db(transaction=True)
def test_failures_across_two_gunicorn_workers_count_together_in_redis(gunicorn):
    username = f"target-{secrets.token_hex(4)}"
    # A password hash gunicorn's default hashers read (the test process hashes with MD5 only).
    user = UserFactory(username=username)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, secrets.token_hex(8))
    user.save(update_fields=["password"])
    attacker, colleague = random_address("198.18"), random_address("198.19")

    codes = in_pairs(gunicorn, [(username, f"guess-{n}", attacker) for n in range(4)])
    assert codes == [400, 400, 400, 400]
    served_by = set(gunicorn.pids_that_served("/api/v1/auth/token/"))
    assert len(served_by) == 2, served_by  # both workers took failures: each counted on its own would be at 2

    fifth = gunicorn.token(username, "guess-5", attacker, forged_hop=forged())
    assert fifth[0] == 429 and b"locked" in fifth[1]
    assert gunicorn.token(username, PASSWORD, attacker)[0] == 429
    # The colleague, from their own address, is not locked out by the attacker.
    status, body = gunicorn.token(username, PASSWORD, colleague)
    assert status == 200 and b'"token"' in body


@pytest.mark.django_db(transaction=True)
def test_attempts_per_address_across_two_gunicorn_workers_count_together(gunicorn):
    sprayer = random_address("198.18")
    before = len(gunicorn.pids_that_served("/api/v1/auth/token/"))
    codes = in_pairs(gunicorn, [(f"user-{secrets.token_hex(3)}", "x", sprayer) for _ in range(8)])
    assert codes == [400] * 8  # eight usernames, one failure each: no lockout, but the address's 8 a minute used
    assert len(set(gunicorn.pids_that_served("/api/v1/auth/token/")[before:])) == 2
    status, body = gunicorn.token("user-last", "x", sprayer)
    assert status == 429 and b"Too many login attempts" in body
    assert gunicorn.token("user-last", "x", random_address("198.19"))[0] == 400  # another address is not affected
