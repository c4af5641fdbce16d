"""Real Celery workers for the tests: `celery -A financeplanner worker` processes on the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """One worker (main process plus its pool child), started in its own process group so it can be killed whole."""

    def __init__(
        self,
        name: str,
        concurrency: int = 1,
        extra_env: dict | None = None,
        queues: list[str] | None = None,
        beat: bool = False,
    ):
        """`queues`: consume only these (default: all of CELERY_TASK_QUEUES); `beat`: embed beat, with the settings'
        CELERY_BEAT_SCHEDULE in a throwaway file (the periodic tasks, e.g. the drill sweeper)."""
        self.name = name
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.log_path = ROOT / ".pytest-workers" / f"{name}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        for stale in self.log_path.parent.glob(f"{name}.beat*"):
            stale.unlink()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "financeplanner",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                f"--hostname={name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--prefetch-multiplier=1",
                *([f"--queues={','.join(queues)}"] if queues else []),
                *(
                    [
                        "--beat",
                        "--scheduler=celery.beat:PersistentScheduler",
                        f"--schedule={self.log_path.with_suffix('.beat')}",
                    ]
                    if beat
                    else []
                ),
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited:\n{self.log_path.read_text()}")
            if " ready." in self.log_path.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} did not start:\n{self.log_path.read_text()}")

    def output(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): no chance to ack or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.close()


def purge_queue() -> None:
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "financeplanner", "purge", "-f"],
        cwd=ROOT,
        env={**os.environ, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL},
        check=True,
        capture_output=True,
    )


def token_client(user):
    """An API client that signs in as a real client does: with the user's token (workers see no session)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def wait_for_drill(run_id: int, timeout: float = 90):
    """The drill once a worker has finished it (succeeded or failed); an AssertionError after `timeout` seconds."""
    from contingency.models import DrillRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = DrillRun.objects.get(pk=run_id)
        if run.status in ("succeeded", "failed"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"drill {run_id} still {run.status} after {timeout}s (progress {run.progress})")
