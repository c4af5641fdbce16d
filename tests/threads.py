"""Concurrency in the tests: real threads, each on its own PostgreSQL connection (the target closes it)."""

import threading
from collections.abc import Callable


def run_in_threads(target: Callable[[], object], count: int, *, timeout: float | None = None) -> None:
    """Start `count` threads running `target`, then wait for each (at most `timeout` seconds apiece)."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
