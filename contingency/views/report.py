"""A drill run's results shaped for the report and the comparison, read once through `contingency.report.DrillReport`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from channels_app import ratings
from channels_app.choices import OPEN_STATUSES, ChannelStatus, ChannelType, TriggerKind

from .. import charts
from ..choices import ShockAction, ShockTarget, StepAction
from ..models import DrillRun
from ..report import DrillReport, report_of

# A line's day-0 status in a snapshot (contingency.snapshot): open lines give headroom, shut ones nothing.
SHUT = (ChannelStatus.CLOSED, ChannelStatus.MATURED)

LENDER_ACTION_SOURCES = {
    "shock": gettext_lazy("Scenario shock"),
    "trigger": gettext_lazy("Lender's trigger"),
    "random": gettext_lazy("Drawn at random"),
}


def _own_rating(own: dict, on_day) -> dict | None:
    """The company's rating over the drill with master-scale symbols: where it started and each change."""
    start = own.get("start_rank")
    if not isinstance(start, int):
        return None
    changes = [
        {"day": change["day"], "date": on_day(change["day"]), "rating": ratings.rating_at(change["rank"])}
        for change in own.get("changes") or []
        if isinstance(change.get("rank"), int)
    ]
    return {"start": ratings.rating_at(start), "changes": changes, "downgraded_paths": own.get("downgraded_paths"),
            "share": own.get("share")}  # fmt: skip


def fan_chart(run: DrillRun, fan: dict, as_of) -> str:
    """A finished run's results never change: draw its fan once per language and keep it."""
    key = f"contingency:fan:{run.pk}:{run.finished_at and run.finished_at.timestamp()}:{get_language()}"
    svg = cache.get_or_set(key, lambda: charts.fan_chart(fan, as_of=as_of, paths=run.paths), timeout=24 * 3600)
    return mark_safe(svg)  # noqa: S308 — matplotlib's escaped SVG (financeplanner.charts)


def drill_report(run: DrillRun) -> dict[str, Any]:
    """Everything the report shows: the typed results (``contingency.report``) and what the snapshot adds."""
    report = report_of(run)
    snapshot: dict[str, Any] = run.snapshot or {}
    scenario_input: dict[str, Any] = snapshot.get("scenario") or {}
    many = report.many
    as_of = run.as_of  # the snapshot's day 0 (a scenario without as_of runs as of the run date)
    plan_steps = {
        step.get("order"): {**step, "action": _label(StepAction, step.get("action"))}
        for step in ((snapshot.get("plan") or {}).get("steps") or [])
    }

    def on_day(day):
        return as_of + timedelta(days=day) if isinstance(day, int) and as_of else None

    closing_rows: list[dict] = []
    if many:
        for order, count in (report.closing.get("closed_by_step") or {}).items():
            step = plan_steps.get(int(order)) if str(order).isdigit() else None
            closing_rows.append({"order": order, "action": (step or {}).get("action"), "paths": count})
    channels = snapshot.get("channels") or []
    channel_names = {channel.get("key"): channel.get("name") for channel in channels}
    pools = snapshot.get("pools") or []
    policy = report.policy
    return {
        "run": run,
        "typed": report,
        "policy": policy,
        "verdict": report.verdict,
        "many": many,
        "paths": report.paths,
        "horizon_days": report.horizon_days or scenario_input.get("horizon_days"),
        "survived": report.survived,
        "survival_probability": report.survival_probability,
        "runway": report.runway,
        "runway_date": on_day(report.runway),
        "runway_percentiles": report.runway_percentiles,
        "shortfall_paths": report.shortfall_paths,
        "breach_date": on_day(policy.buffer_breach_day),
        "gap": report.gap if many else report.gap_day,
        "gap_date": on_day(report.gap_day),
        "closing_step": report.closing_step if not many else None,
        "closing_step_detail": plan_steps.get(report.closing_step) if report.closing_step is not None else None,
        "closing_rows": closing_rows,
        "closing_summary": report.closing if many and report.closing else None,
        "activation": (report.activation or None) if many else report.plan_activation_day,
        "min_liquidity": report.min_liquidity,
        "min_liquidity_day": report.min_liquidity_day,
        "min_liquidity_date": on_day(report.min_liquidity_day),
        "lar95": report.liquidity_at_risk_95,
        "lar99": report.liquidity_at_risk_99,
        "extra_liquidity_needed": report.extra_liquidity_needed,
        "deepest_deficit": report.deepest_deficit,
        "contingency_used": report.contingency_used,
        "contingency_cost": report.contingency_cost,
        "channel_impact": report.channel_impact,
        "lender_actions": [
            {
                **row,
                "date": on_day(row.get("day")),
                "action_label": _label(ShockAction, row.get("action")),
                "source_label": LENDER_ACTION_SOURCES.get(row.get("source"), row.get("source")),
                "kind_label": _lender_action_kind(row),
            }
            for row in report.lender_actions
        ],  # fmt: skip
        "own_rating": _own_rating(report.own_rating, on_day),
        "fan_chart": fan_chart(run, report.fan, as_of) if report.fan else "",
        "snapshot": {
            "opening_cash": scenario_input.get("opening_cash"),
            "min_cash_buffer": scenario_input.get("min_cash_buffer"),
            "kind": scenario_input.get("kind"),
            "seed": report.seed if report.seed is not None else run.seed,
            "own_downgrade_notches": scenario_input.get("own_downgrade_notches"),
            "market_stress": scenario_input.get("market_stress"),
            "hazard_multiplier": scenario_input.get("hazard_multiplier"),
            "shocks": [
                {
                    **shock,
                    "action": _label(ShockAction, shock.get("action")),
                    "target_type": _label(ShockTarget, shock.get("target_type")),
                    "target": _shock_target(shock, channel_names),
                }
                for shock in scenario_input.get("shocks") or []
            ],
            "channel_count": len(channels),
            # What the drill had, from its snapshot: a closed or matured line (an archived one enters as closed)
            # gives no limit, though what is drawn on it still runs off; a frozen line keeps its limit (it reopens).
            "total_limit": sum(float(c.get("limit") or 0) for c in channels if c.get("status") not in SHUT),
            "total_drawn": sum(float(c.get("drawn") or 0) for c in channels),
            "open_channels": sum(1 for c in channels if c.get("status") in OPEN_STATUSES),
            "pool_count": len(pools),
            "pool_total": sum(float(p.get("amount") or 0) for p in pools),
            "plan_steps": list(plan_steps.values()),
            "operating_net": sum(scenario_input.get("operating_flows") or [])
            - sum(scenario_input.get("discretionary_outflows") or []),
        },
    }


def _shock_target(shock: dict, channel_names: dict) -> str:
    target = shock.get("target") or ""
    if shock.get("target_type") == ShockTarget.CHANNEL:
        return channel_names.get(target, target)
    if shock.get("target_type") == ShockTarget.CHANNEL_TYPE:
        return _label(ChannelType, target)
    return target


def _lender_action_kind(row: dict) -> str:
    """Why the lender acted, by name: the trigger's kind or the shock's target (a random action needs none)."""
    choices = {"trigger": TriggerKind, "shock": ShockTarget}.get(row.get("source"))
    return _label(choices, row.get("kind")) if choices else ""


def _label(choices, value) -> str:
    """The translated label of a stored choice value; the value itself when the choice is unknown."""
    return choices(value).label if value in choices.values else (value or "")


COMPARED = [
    ("survival_probability", "percent"),
    ("policy_probability", "percent"),
    ("ci", "interval"),
    ("runway", "runway"),
    ("shortfall_paths", "count"),
    ("breach_day", "day"),
    ("min_liquidity", "money"),
    ("lar95", "money"),
    ("lar99", "money"),
    ("extra_liquidity_needed", "money"),
    ("contingency_used", "money"),
    ("contingency_cost", "money"),
]


def compare_rows(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure (from two ``drill_report`` dicts): both values and, for plain numbers, the difference b − a.

    The runway is each report's headline (Monte Carlo: the quantile at the policy's confidence), shown with the paths
    that fall short, so a run where paths fall short never reads "survives" without saying how many do not.
    """
    labels = {
        "survival_probability": _("Survival probability (no shortfall)"),
        "policy_probability": _("Paths keeping the buffer over the policy horizon"),
        "ci": _("95% confidence interval"),
        "runway": _("Runway (days)"),
        "shortfall_paths": _("Paths that fall short"),
        "breach_day": _("First buffer breach (day)"),
        "min_liquidity": _("Minimum liquidity"),
        "lar95": _("Liquidity at risk 95%"),
        "lar99": _("Liquidity at risk 99%"),
        "extra_liquidity_needed": _("Extra liquidity needed"),
        "contingency_used": _("Contingency used"),
        "contingency_cost": _("Contingency cost"),
    }

    def figure(report: dict[str, Any], key: str) -> Any:
        typed: DrillReport = report["typed"]
        policy = typed.policy
        if key == "policy_probability":
            return policy.probability
        if key == "ci":
            if policy.ci_low is None or policy.ci_high is None:
                return None
            return {"low": policy.ci_low, "high": policy.ci_high, "se": policy.standard_error}
        if key == "runway":
            return {
                "days": typed.runway,
                "many": typed.many,
                "horizon": typed.horizon_days,
                "confidence": policy.target_survival_probability,
                "short": typed.shortfall_paths,
            }
        if key == "breach_day":
            return policy.buffer_breach_day
        return report.get(key)

    rows = []
    for key, kind in COMPARED:
        left, right = figure(a, key), figure(b, key)
        if key == "runway":
            both = isinstance(left["days"], int) and isinstance(right["days"], int)
            delta = right["days"] - left["days"] if both else None
        else:
            delta = right - left if isinstance(left, int | float) and isinstance(right, int | float) else None
        delta_kind = "count" if kind in ("runway", "day") else kind  # a difference of days is a number of days
        rows.append(
            {"label": labels[key], "kind": kind, "values": [left, right], "delta": delta, "delta_kind": delta_kind}
        )
    return rows
