"""The per-company cache of heavy reads (the dashboard, the trigger watch), invalidated on every change.

Every company has a *generation*: a counter in the shared cache. A cached value's key holds the company's id and
its generation at the time of reading, so a write that bumps the generation makes every value cached before it
unreachable at once — no list of keys to delete, and no key of one company can ever name another's value.

The generation is bumped

- by `post_save` / `post_delete` / `m2m_changed` of every model that belongs to a company (a `company` foreign key,
  or a `company_lookup` path such as a trigger's `channel__company`), connected here for all of them, so a model
  added later is covered without a line of code; the bookkeeping written by reads and by the machinery
  (`UNTRACKED`) is left out;
- by `company_changed(company_id)`, which a service calls after a write that sends no signal: `QuerySet.update()`
  and `bulk_create()` (a drill's status, an import's rows).

A bump happens at once and again when the transaction commits: a reader that read the old rows while the write
was still uncommitted may store its value under the new generation, and the second bump retires it.

Values whose content depends on the day (as-of today) put the day in `key`; every value also expires after
`timeout` seconds, which bounds the staleness of a write that bypassed both ways of bumping. A drill's live
progress is never cached: only what a finished write produced is.

A cache kept in one process's memory (LocMem, the first-run demo and the test suite) cannot see what the other
processes write — a Celery worker, another gunicorn worker — so the company cache is only used with a shared
cache (Redis: `CACHE_URL` / `REDIS_URL`); otherwise `cached_for_company` simply computes. `COMPANY_CACHE = True /
False` in the settings forces it on or off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

if TYPE_CHECKING:
    from .models import Company

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Change it when the shape of a cached value changes (a dataclass gains a field): a deploy then never unpickles a
# value of the previous release.
FORMAT = 1
DEFAULT_TIMEOUT = 600
PREFIX = f"fp:company-cache:{FORMAT}"
# Written on reads or by the machinery, never shown by a cached read: bumping on them would only empty the cache.
UNTRACKED = {
    "financeplanner.apikeyuse",  # every request made with an API key
    "financeplanner.idempotencykey",  # every idempotent POST (which writes something else as well)
    "financeplanner.tombstone",  # derived from a delete, which bumps by itself
    "financeplanner.importjob",  # an import's progress; its rows bump when they are written
    "contingency.drillblock",  # a running drill's blocks; the run's finish bumps
}


def _cache():
    return caches["default"]


def enabled() -> bool:
    forced = getattr(settings, "COMPANY_CACHE", None)
    if forced is not None:
        return bool(forced)
    return not isinstance(_cache(), LocMemCache | DummyCache)


def _generation_key(company_id: int) -> str:
    return f"{PREFIX}:{company_id}:generation"


def _bump(company_id: int) -> None:
    cache, key = _cache(), _generation_key(company_id)
    try:
        try:
            cache.incr(key)
        except ValueError:  # never read yet, or evicted: start afresh, above any generation used before
            if not cache.add(key, time.time_ns(), timeout=None):
                cache.incr(key)
    except Exception:  # the cache is down: values still expire after their timeout
        logger.warning("Could not invalidate the cache of company %s.", company_id, exc_info=True)


def company_changed(company_id: int | None) -> None:
    """Every cached read of the company is stale: call it after a write that sends no model signal.

    Safe inside a transaction (bumps at once and again on commit) and outside one."""
    if company_id is None or not enabled():
        return
    _bump(company_id)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        pending = connection.run_on_commit
        if not any(getattr(callback, "company_id", None) == company_id for _, callback, *_ in pending):
            transaction.on_commit(_Bump(company_id))


class _Bump:
    """The on-commit bump of one company (one per transaction, however many rows it writes)."""

    def __init__(self, company_id: int):
        self.company_id = company_id

    def __call__(self) -> None:
        _bump(self.company_id)


def _generation(company_id: int) -> int:
    cache, key = _cache(), _generation_key(company_id)
    generation = cache.get(key)
    if generation is None:
        cache.add(key, time.time_ns(), timeout=None)
        generation = cache.get(key)
    return generation


def cached_for_company(company: Company, key: str, compute: Callable[[], T], timeout: int = DEFAULT_TIMEOUT) -> T:
    """`compute()`, or what it returned for this company and `key` since the company's data last changed.

    `key` names the read and everything it depends on besides the company's rows: the day for an as-of-today
    read, its parameters. The value must pickle (model instances, dataclasses, lazy translations do)."""
    if not enabled():
        return compute()
    cache = _cache()
    try:
        full_key = f"{PREFIX}:{company.pk}:{_generation(company.pk)}:{key}"
        value = cache.get(full_key, _MISSING)
    except Exception:
        logger.warning("The cache is unavailable: %s is computed.", key, exc_info=True)
        return compute()
    if value is not _MISSING:
        return value
    value = compute()
    try:
        cache.set(full_key, value, timeout)
    except Exception:
        logger.warning("Could not cache %s.", key, exc_info=True)
    return value


_MISSING = object()


# -- the receivers: every model that belongs to a company ---------------------------------------------------------


def _company_id_of(instance) -> int | None:
    """The company an instance belongs to, from the ids it holds (a query only for a lookup through a relation that
    is not loaded yet)."""
    model = type(instance)
    if model._meta.label_lower == "financeplanner.company":
        return instance.pk
    lookup = getattr(model, "company_lookup", None)
    if lookup is None:
        if not any(field.name == "company" and field.is_relation for field in model._meta.concrete_fields):
            return None
        lookup = "company"
    *path, last = lookup.split("__")
    target = instance
    for name in path:
        field = model._meta.get_field(name)
        if not field.is_relation or field.many_to_many:
            return None
        cached = field.get_cached_value(target, default=None)
        if cached is None:
            related_id = getattr(target, field.attname, None)
            if related_id is None:
                return None
            cached = field.related_model._base_manager.filter(pk=related_id).first()
            if cached is None:  # deleted in the same transaction: its own delete bumped
                return None
        target, model = cached, field.related_model
    return getattr(target, f"{last}_id", None)


def _tracked(sender) -> bool:
    label = sender._meta.label_lower
    if label in UNTRACKED:
        return False
    return (
        label == "financeplanner.company"
        or hasattr(sender, "company_lookup")
        or any(field.name == "company" and field.is_relation for field in sender._meta.concrete_fields)
    )


_TRACKED: dict[type, bool] = {}


def _is_tracked(sender) -> bool:
    if sender not in _TRACKED:
        _TRACKED[sender] = _tracked(sender)
    return _TRACKED[sender]


@receiver(post_save, dispatch_uid="financeplanner.caching.saved")
@receiver(post_delete, dispatch_uid="financeplanner.caching.deleted")
def _row_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw or not enabled() or not _is_tracked(sender):
        return
    company_changed(_company_id_of(instance))


@receiver(m2m_changed, dispatch_uid="financeplanner.caching.m2m")
def _relation_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_") and enabled() and _is_tracked(type(instance)):
        company_changed(_company_id_of(instance))
