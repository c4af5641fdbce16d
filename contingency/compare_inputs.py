"""What differs between the inputs of two drill runs, read from their stored snapshots (`DrillRun.snapshot`, the
engine's `DrillInputs.to_dict()`), so that a compare page explains its result differences — or why there are none.

A selector over plain JSON (no engine import): the scenario's fields and shocks, the plan's trigger and steps, each
channel's terms, status and triggers, each pool. Day-by-day arrays (operating flows, schedules) are compared by their
totals. Only differences are returned; equal inputs give an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels_app.ratings import rating_at

# Per-day arrays: compared by their sum over the horizon.
ARRAY_TOTALS = {
    "operating_flows": "total operating flows",
    "operating_inflows": "total operating inflows",
    "discretionary_outflows": "total discretionary outflows",
    "principal_due": "scheduled principal in the horizon",
    "interest_due": "scheduled interest in the horizon",
    "fee_due": "fees in the horizon",
}
# Snapshot plumbing, not inputs a treasurer chose.
IGNORED = {"block_size", "key", "counterparty_key", "pool_key", "channel_key", "recent_draw_days"}
RATING_FIELDS = {"own_rating_rank", "rating_rank"}


@dataclass(frozen=True)
class InputDifference:
    section: str  # scenario, shocks, plan, channel, pool
    item: str  # what it is about: "", a channel's or pool's name, a step
    field: str
    a: str
    b: str


def _text(field: str, value: Any) -> str:
    if value is None:
        return "—"
    if field in RATING_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        try:
            return rating_at(value)
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    return str(value)


def _total(values: Any) -> float:
    return round(float(sum(values)), 2) if isinstance(values, list) else 0.0


def _fields(section: str, item: str, a: dict, b: dict) -> list[InputDifference]:
    """Scalar fields and per-day totals that differ between two records of the same thing."""
    rows = []
    for name in sorted(set(a) | set(b)):
        if name in IGNORED:
            continue
        left, right = a.get(name), b.get(name)
        if name in ARRAY_TOTALS:
            left, right, name = _total(left), _total(right), ARRAY_TOTALS[name]
        elif isinstance(left, list | dict) or isinstance(right, list | dict):
            continue  # nested lists (triggers, shocks, steps) are compared by description
        if left != right:
            rows.append(InputDifference(section, item, name, _text(name, left), _text(name, right)))
    return rows


def _describe(record: dict) -> str:
    """A nested record (shock, trigger, step) as one line of its set fields."""
    parts = []
    for name, value in record.items():
        if value is None or value == "" or name in IGNORED:
            continue
        parts.append(f"{name} {_text(name, value)}")
    return ", ".join(parts)


def _lists(section: str, item: str, field: str, a: list, b: list) -> list[InputDifference]:
    left, right = [_describe(x) for x in a or []], [_describe(x) for x in b or []]
    if left == right:
        return []
    only_a = [x for x in left if x not in right]
    only_b = [x for x in right if x not in left]
    if not only_a and not only_b:  # the same entries in another order
        return [InputDifference(section, item, f"{field} (order)", "; ".join(left), "; ".join(right))]
    return [InputDifference(section, item, field, "; ".join(only_a) or "—", "; ".join(only_b) or "—")]


def _by_key(records: list[dict]) -> dict[str, dict]:
    return {str(r.get("key")): r for r in records or []}


def input_differences(
    a: dict | None, b: dict | None, *, pool_names: dict[str, str] | None = None
) -> list[InputDifference]:
    """Every input that differs between two runs' snapshots, scenario first, then shocks, plan, channels, pools.

    Pools carry no name in a snapshot: `pool_names` (pool id → name) labels them, else "pool <id> (<kind>)"."""
    pool_names = pool_names or {}
    a, b = a or {}, b or {}
    rows: list[InputDifference] = []
    scenario_a, scenario_b = a.get("scenario") or {}, b.get("scenario") or {}
    rows += _fields("scenario", "", scenario_a, scenario_b)
    rows += _lists("shocks", "", "shocks", scenario_a.get("shocks"), scenario_b.get("shocks"))
    plan_a, plan_b = a.get("plan"), b.get("plan")
    if (plan_a is None) != (plan_b is None):
        rows.append(InputDifference("plan", "", "plan", "none" if plan_a is None else "a plan",
                                    "none" if plan_b is None else "a plan"))  # fmt: skip
    rows += _fields("plan", "", plan_a or {}, plan_b or {})
    rows += _lists("plan", "", "steps", (plan_a or {}).get("steps"), (plan_b or {}).get("steps"))
    for section, name in (("channel", "channels"), ("pool", "pools")):
        left, right = _by_key(a.get(name)), _by_key(b.get(name))
        for key in sorted(set(left) | set(right), key=lambda k: (left.get(k) or right.get(k)).get("name", k)):
            record_a, record_b = left.get(key), right.get(key)
            record = record_a or record_b
            label = str(record.get("name") or pool_names.get(key) or f"{section} {key} ({record.get('kind', '')})")
            if record_a is None or record_b is None:
                rows.append(InputDifference(section, label, section, "present" if record_a else "absent",
                                            "present" if record_b else "absent"))  # fmt: skip
                continue
            rows += _fields(section, label, record_a, record_b)
            if section == "channel":
                rows += _lists(section, label, "triggers", record_a.get("triggers"), record_b.get("triggers"))
    return rows
