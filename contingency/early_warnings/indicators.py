"""The indicators of funding risk, graded green / amber / red against thresholds.

Each indicator reads the company as it stands and gives zero or more readings (one per channel, counterparty or
schedule where it is about one). A reading at amber or red is a *breach*, which `alerts` keeps as an alert.

**Defaults** (a company overrides them with WarningThreshold rows; `enabled=False` silences an indicator):

| indicator | value | amber | red | why |
|---|---|---|---|---|
| `headroom_ratio` | open headroom / limit of open lines | < 0.25 | < 0.10 | little room left to draw |
| `hhi_lender` | HHI of drawn funding by lender (0–10,000) | ≥ 2,500 | ≥ 5,000 | 2,500: "highly concentrated" (US DOJ/FTC 2010); 5,000: as if two equal lenders |
| `hhi_type` | HHI of drawn funding by channel type | ≥ 2,500 | ≥ 5,000 | idem, by type |
| `platform_share` | share of drawn funding from online platforms | ≥ 0.15 | ≥ 0.30 | platforms cut lines readily |
| `maturity_wall_30` | principal due within 30 days / open headroom | ≥ 0.50 | ≥ 1.00 | red: what falls due exceeds what can be drawn |
| `maturity_wall_90` | principal due within 90 days / open headroom | ≥ 0.50 | ≥ 1.00 | idem over 90 days |
| `counterparty_downgrade` | notches below the best rating of the year before (per lender) | ≥ 1 | ≥ 3 | three notches: the regulatory stress downgrade |
| `counterparty_pd_rise` | rise of one-year PD over the lowest of the year before, relative | ≥ 0.50 | ≥ 2.00 | PD up half / tripled |
| `own_rating_trigger` | notches of downgrade that fire a lender's "acts below X" trigger (the trigger watch's distance: from A+, "below A" is 2) | < 3 | < 1 | amber: two downgrades or fewer from firing; red: fired |
| `platform_utilisation` | utilisation − the line's utilisation trigger (0.90 without one) | ≥ −0.10 | ≥ 0 | platforms cut lines kept near full |
| `runway` | runway of the latest drill / the company's survival horizon | < 1.25 | < 1.00 | red: the plan does not reach the horizon |
| `failed_drill` | 1 when the latest run of a drill schedule, or of a scenario run on demand, failed or did not meet the policy; 0.5 when its Monte Carlo verdict is inconclusive | ≥ 0.5 | ≥ 1 | a drill went wrong |
| `lender_action` | raised at once when a lender action (reduce, freeze, close, call) is recorded | — | — | red for a close, call or freeze; amber for a reduction; acknowledged, never resolved by itself |

A frozen line keeps its utilisation reading (a freeze is not a recovery: the alert stays open). Maturity walls count scheduled principal of lines that do not roll over (or are no longer open), and any excess
falling due after a reduction or a call; amounts are converted to the reporting currency at the latest FX rate.
For a Monte Carlo drill the runway is the headline of every page: its quantile at the policy's confidence
(`runway_days.at_target`, the 1 % quantile for a 99 % target), read through `contingency.report`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from channels_app import ratings
from channels_app.choices import ChannelStatus, ChannelType, LenderAction, RatingScale, TriggerKind
from channels_app.models import CreditAssessment, FundingChannel, LenderTrigger
from channels_app.selectors import (
    PLATFORM_TYPES,
    assessments_latest_first,
    channel_schedule,
    funding_summary,
    fx_rates,
    to_reporting,
)
from channels_app.watch import trigger_watch
from financeplanner.models import Company
from financeplanner.translatable import Message, term

from ..choices import DrillStatus, Severity
from ..models import DrillRun, WarningThreshold
from ..report import report_of

logger = logging.getLogger(__name__)

D = Decimal
VALUE_PLACES = D("0.000001")
HIGHER, LOWER = "higher", "lower"  # which way is worse


@dataclass(frozen=True)
class Indicator:
    code: str
    title: str  # translated (lazy): the indicator's name on every page, in the reader's language
    worse: str
    amber: Decimal | None
    red: Decimal | None


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        Indicator("headroom_ratio", _("Headroom ratio"), LOWER, D("0.25"), D("0.10")),
        Indicator("hhi_lender", _("Funding concentration by lender (HHI)"), HIGHER, D("2500"), D("5000")),
        Indicator("hhi_type", _("Funding concentration by channel type (HHI)"), HIGHER, D("2500"), D("5000")),
        Indicator("platform_share", _("Share of funding from online platforms"), HIGHER, D("0.15"), D("0.30")),
        Indicator("maturity_wall_30", _("Maturity wall, 30 days"), HIGHER, D("0.50"), D("1.00")),
        Indicator("maturity_wall_90", _("Maturity wall, 90 days"), HIGHER, D("0.50"), D("1.00")),
        Indicator("counterparty_downgrade", _("Lender downgrade"), HIGHER, D("1"), D("3")),
        Indicator("counterparty_pd_rise", _("Lender default probability rise"), HIGHER, D("0.50"), D("2.00")),
        Indicator("own_rating_trigger", _("Our rating against lenders' triggers"), LOWER, D("3"), D("1")),
        Indicator(
            "platform_utilisation", _("Platform line utilisation against its trigger"), HIGHER, D("-0.10"), D("0")
        ),
        Indicator("runway", _("Runway of the latest drill"), LOWER, D("1.25"), D("1.00")),
        Indicator("failed_drill", _("Failed drill"), HIGHER, D("0.5"), D("1")),
    )
}

# Every indicator an alert can name, by its code: the twelve above and the lender action (raised by alerts).
INDICATOR_LABELS: dict[str, str] = {
    **{code: indicator.title for code, indicator in INDICATORS.items()},
    "lender_action": _("Lender action recorded"),
}


def indicator_label(code: str) -> str:
    """The indicator's name in the reader's language (its code if it is not one of ours)."""
    return INDICATOR_LABELS.get(code, code)


DEFAULT_UTILISATION_TRIGGER = D("0.90")
LOOKBACK_DAYS = 365
OPEN_OR_FROZEN = (ChannelStatus.ACTIVE, ChannelStatus.REDUCED, ChannelStatus.FROZEN)


@dataclass(frozen=True)
class Thresholds:
    amber: Decimal | None
    red: Decimal | None
    enabled: bool = True


@dataclass(frozen=True)
class Reading:
    """One value of one indicator, about `key` ("" when it is about the whole company)."""

    indicator: str
    key: str
    value: Decimal | None
    text: Message  # what it says, rendered in the reader's language when shown
    severity: str = Severity.GREEN

    @property
    def message(self) -> str:
        """The English message (the alert's stored `message`)."""
        return self.text.english()


def thresholds_for(company: Company) -> dict[str, Thresholds]:
    """The documented defaults, overridden by the company's WarningThreshold rows."""
    result = {code: Thresholds(i.amber, i.red) for code, i in INDICATORS.items()}
    for row in WarningThreshold.objects.for_company(company):
        if row.indicator in result:
            default = result[row.indicator]
            result[row.indicator] = Thresholds(
                amber=row.amber if row.amber is not None else default.amber,
                red=row.red if row.red is not None else default.red,
                enabled=row.enabled,
            )
    return result


def grade(indicator: Indicator, value: Decimal | None, thresholds: Thresholds) -> str:
    """green / amber / red. Higher-is-worse breaches at or above a level; lower-is-worse breaches below it."""
    if value is None:
        return Severity.GREEN

    def breached(level: Decimal | None) -> bool:
        if level is None:
            return False
        return value >= level if indicator.worse == HIGHER else value < level

    if breached(thresholds.red):
        return Severity.RED
    if breached(thresholds.amber):
        return Severity.AMBER
    return Severity.GREEN


# -- the indicators -------------------------------------------------------------------------------------------------


def _pct(value: Decimal) -> str:
    return f"{value * 100:.1f}%"


def money(value: Decimal, currency: str) -> str:
    return f"{currency} {value:,.2f}"


@dataclass
class Context:
    """What several indicators read, loaded once per evaluation."""

    company: Company
    today: date

    def __post_init__(self) -> None:
        self._summary = None

    @property
    def summary(self):
        if self._summary is None:
            self._summary = funding_summary(self.company)
        return self._summary


def headroom_ratio(ctx: Context) -> list[Reading]:
    open_limit = D("0")
    rates = fx_rates(ctx.company)
    for channel in FundingChannel.objects.for_company(ctx.company).filter(
        status__in=(ChannelStatus.ACTIVE, ChannelStatus.REDUCED)
    ):
        open_limit += to_reporting(channel.limit, channel.currency, rates)
    if open_limit <= 0:
        return []
    headroom = ctx.summary.total_headroom
    ratio = headroom / open_limit
    currency = ctx.company.reporting_currency
    return [
        Reading(
            "headroom_ratio",
            "",
            ratio,
            Message(
                gettext_noop("Open headroom is %(headroom)s, %(share)s of the %(limit)s limit of open lines."),
                {"headroom": money(headroom, currency), "share": _pct(ratio), "limit": money(open_limit, currency)},
            ),
        )
    ]


def concentration(ctx: Context) -> list[Reading]:
    summary = ctx.summary
    if summary.total_drawn <= 0:
        return []
    top_lender = summary.by_lender[0]["lender"] if summary.by_lender else ""
    top_type = term(ChannelType(summary.by_type[0]["channel_type"]).label) if summary.by_type else ""
    return [
        Reading(
            "hhi_lender", "", summary.hhi_by_lender,
            Message(gettext_noop("Funding concentration by lender is HHI %(hhi)s (largest: %(largest)s)."),
                    {"hhi": f"{summary.hhi_by_lender:,.0f}", "largest": top_lender}),
        ),
        Reading(
            "hhi_type", "", summary.hhi_by_type,
            Message(gettext_noop("Funding concentration by channel type is HHI %(hhi)s (largest: %(largest)s)."),
                    {"hhi": f"{summary.hhi_by_type:,.0f}", "largest": top_type}),
        ),
        Reading(
            "platform_share", "", summary.platform_share,
            Message(gettext_noop("%(share)s of drawn funding comes from online platforms."),
                    {"share": _pct(summary.platform_share)}),
        ),
    ]  # fmt: skip


def _due_within(ctx: Context, days: int, rates: dict[str, Decimal]) -> Decimal:
    """Principal falling due within `days` on lines that will not refinance it, in the reporting currency."""
    until = ctx.today + timedelta(days=days)
    total = D("0")
    for channel in FundingChannel.objects.for_company(ctx.company).filter(drawn__gt=0):
        due = D("0")
        if channel.excess_due and channel.excess_due_date and channel.excess_due_date <= until:
            due += channel.excess_due  # above a reduced limit, or called: due after the notice period
        if not (channel.rolls_over and channel.is_open):  # an open rolling line refinances what matures
            due += sum(
                (row.principal for row in channel_schedule(channel=channel, as_of=ctx.today) if row.date <= until),
                D("0"),
            )
        # The schedule amortises the whole balance, excess included: never more than what is drawn.
        total += to_reporting(min(due, channel.drawn), channel.currency, rates)
    return total


def maturity_wall(ctx: Context) -> list[Reading]:
    rates = fx_rates(ctx.company)
    headroom = ctx.summary.total_headroom
    currency = ctx.company.reporting_currency
    readings = []
    for days in (30, 90):
        due = _due_within(ctx, days, rates)
        if due <= 0:
            ratio: Decimal | None = D("0")
        elif headroom > 0:
            ratio = due / headroom
        else:
            ratio = None
        message = Message(
            gettext_noop("%(due)s of principal falls due within %(days)s days against open headroom of %(headroom)s."),
            {"due": money(due, currency), "days": days, "headroom": money(headroom, currency)},
        )
        reading = Reading(f"maturity_wall_{days}", "", ratio, message)
        if ratio is None:  # something falls due and nothing can be drawn: as bad as it gets
            reading = Reading(reading.indicator, "", None, message, Severity.RED)
        readings.append(reading)
    return readings


def _assessments_by_subject(ctx: Context) -> dict[int | None, list[CreditAssessment]]:
    by_subject: dict[int | None, list[CreditAssessment]] = defaultdict(list)
    for assessment in assessments_latest_first(ctx.company).select_related("counterparty"):
        by_subject[assessment.counterparty_id].append(assessment)
    return by_subject


def counterparty_credit(ctx: Context) -> list[Reading]:
    """Per lender: notches below, and PD rise over, the best of the year before its latest assessment."""
    readings = []
    for counterparty_id, history in _assessments_by_subject(ctx).items():
        if counterparty_id is None:
            continue
        latest = history[0]
        window = [a for a in history[1:] if latest.as_of - timedelta(days=LOOKBACK_DAYS) <= a.as_of <= latest.as_of]
        if not window:
            continue
        name = latest.counterparty.name
        try:
            best = min(window, key=lambda a: ratings.rank_of(a.rating))
            notches = ratings.rank_of(latest.rating) - ratings.rank_of(best.rating)
        except ValueError:
            notches, best = 0, None
        key = f"counterparty:{counterparty_id}"
        readings.append(
            Reading(
                "counterparty_downgrade",
                key,
                D(max(notches, 0)),
                Message(
                    gettext_noop(
                        "%(name)s is rated %(rating)s (%(as_of)s), %(notches)s notch(es) below its %(best)s of the "
                        "year before."
                    ),
                    {
                        "name": name,
                        "rating": latest.rating,
                        "as_of": str(latest.as_of),
                        "notches": notches,
                        "best": best.rating if best else latest.rating,
                    },
                ),
            )  # fmt: skip
        )
        lowest_pd = min(a.pd_1y for a in window)
        if lowest_pd > 0:
            rise = latest.pd_1y / lowest_pd - 1
            readings.append(
                Reading(
                    "counterparty_pd_rise",
                    key,
                    max(rise, D("0")),
                    Message(
                        gettext_noop(
                            "%(name)s's one-year default probability is %(pd)s, up %(rise)s on its lowest of the year "
                            "before (%(lowest)s)."
                        ),
                        {
                            "name": name,
                            "pd": _pct(latest.pd_1y),
                            "rise": _pct(max(rise, D("0"))),
                            "lowest": _pct(lowest_pd),
                        },
                    ),
                )  # fmt: skip
            )
    return readings


# What own_rating_trigger says, by (the trigger has fired, the ratings are on the domestic scale).
OWN_RATING_MESSAGES = {
    (True, False): gettext_noop(
        "Our rating %(rating)s against %(channel)s's trigger '%(action)s below %(threshold)s': the trigger has fired."
    ),
    (False, False): gettext_noop(
        "Our rating %(rating)s against %(channel)s's trigger '%(action)s below %(threshold)s': the trigger fires "
        "after %(notches)s notch(es) of downgrade."
    ),
    (True, True): gettext_noop(
        "Our rating %(rating)s (domestic scale) against %(channel)s's trigger '%(action)s below %(threshold)s "
        "(domestic scale)': the trigger has fired."
    ),
    (False, True): gettext_noop(
        "Our rating %(rating)s (domestic scale) against %(channel)s's trigger '%(action)s below %(threshold)s "
        "(domestic scale)': the trigger fires after %(notches)s notch(es) of downgrade."
    ),
}


def own_rating_trigger(ctx: Context) -> list[Reading]:
    """Every rating trigger of the open and frozen lines, as far from firing as the trigger watch says."""
    readings = []
    for row in trigger_watch(company=ctx.company, today=ctx.today):
        if row.kind != TriggerKind.OWN_RATING_BELOW or row.distance is None:
            continue
        template = OWN_RATING_MESSAGES[(row.fires_now, row.scale == RatingScale.DOMESTIC)]
        readings.append(
            Reading(
                "own_rating_trigger",
                f"channel:{row.channel}:{row.threshold}",
                row.distance,
                Message(
                    template,
                    {
                        "rating": row.current,
                        "channel": row.channel_name,
                        "action": term(LenderAction(row.action).label),
                        "threshold": row.threshold,
                        "notches": int(row.distance),
                    },
                ),
            )  # fmt: skip
        )
    return readings


def platform_utilisation(ctx: Context) -> list[Reading]:
    readings = []
    # Frozen lines too: a freeze is the lender acting on the line, not the utilisation recovering.
    channels = FundingChannel.objects.for_company(ctx.company).filter(status__in=OPEN_OR_FROZEN, limit__gt=0)
    levels: dict[int, Decimal] = {}
    for trigger in LenderTrigger.objects.for_company(ctx.company).filter(
        kind=TriggerKind.UTILISATION_ABOVE, level__isnull=False
    ):
        levels[trigger.channel_id] = min(levels.get(trigger.channel_id, trigger.level), trigger.level)
    for channel in channels.order_by("id"):
        if channel.channel_type not in PLATFORM_TYPES and channel.pk not in levels:
            continue
        level = levels.get(channel.pk, DEFAULT_UTILISATION_TRIGGER)
        utilisation = channel.drawn / channel.limit
        readings.append(
            Reading(
                "platform_utilisation",
                f"channel:{channel.pk}",
                utilisation - level,
                Message(
                    gettext_noop("%(channel)s is %(utilisation)s drawn; its lender acts above %(level)s."),
                    {"channel": channel.name, "utilisation": _pct(utilisation), "level": _pct(level)},
                ),
            )  # fmt: skip
        )
    return readings


def runway(ctx: Context) -> list[Reading]:
    latest = (
        DrillRun.objects.for_company(ctx.company)
        .filter(status=DrillStatus.SUCCEEDED, results__isnull=False)
        .order_by("-finished_at", "-id")
        .first()
    )
    if latest is None or not isinstance(latest.results, dict):
        return []
    days = report_of(latest).runway
    horizon = ctx.company.survival_horizon_days
    if days is None:
        survives = gettext_noop("Drill #%(run)s (%(scenario)s) survives its horizon.")
        return [Reading("runway", "", None, Message(survives, {"run": latest.pk, "scenario": str(latest.scenario)}))]
    return [
        Reading(
            "runway",
            "",
            D(days) / D(horizon),
            Message(
                gettext_noop(
                    "Drill #%(run)s (%(scenario)s) runs out of cash on day %(day)s; the policy asks for %(horizon)s "
                    "days."
                ),
                {"run": latest.pk, "scenario": str(latest.scenario), "day": days, "horizon": horizon},
            ),
        )
    ]


def _drill_value(run: DrillRun) -> Decimal:
    """1 when the run failed or did not meet the policy, 0.5 when its verdict is inconclusive, else 0.

    A run shorter than the policy horizon (`not_tested`) does not miss the policy: it does not test it."""
    if run.status == DrillStatus.FAILED:
        return D(1)
    verdict = report_of(run).verdict
    if verdict is None:
        return D(0 if run.passed_policy is not False else 1)
    return {"not_met": D(1), "inconclusive": D("0.5")}.get(verdict, D(0))


# What failed_drill says, by whether the run was a schedule's (True) or on demand (False).
FAILED_DRILL_MESSAGES = {
    True: {
        "failed": gettext_noop("Scheduled drill %(name)s could not run: %(error)s"),
        "not_met": gettext_noop("Scheduled drill %(name)s does not meet the liquidity policy (run #%(run)s)."),
        "inconclusive": gettext_noop(
            "Scheduled drill %(name)s cannot tell whether the policy is met: the Monte Carlo verdict is inconclusive "
            "(run #%(run)s)."
        ),
        "met": gettext_noop("Scheduled drill %(name)s met the policy or did not test it (run #%(run)s)."),
    },
    False: {
        "failed": gettext_noop("Drill of %(name)s could not run: %(error)s"),
        "not_met": gettext_noop("Drill of %(name)s does not meet the liquidity policy (run #%(run)s)."),
        "inconclusive": gettext_noop(
            "Drill of %(name)s cannot tell whether the policy is met: the Monte Carlo verdict is inconclusive "
            "(run #%(run)s)."
        ),
        "met": gettext_noop("Drill of %(name)s met the policy or did not test it (run #%(run)s)."),
    },
}


def failed_drill(ctx: Context) -> list[Reading]:
    """The latest finished run of each drill schedule, and of each scenario run on demand: failed to run, or did
    not meet the policy."""
    readings = []
    latest: dict[str, int] = {}
    finished = DrillRun.objects.for_company(ctx.company).filter(status__in=(DrillStatus.SUCCEEDED, DrillStatus.FAILED))
    for pk, schedule_id, scenario_id in finished.order_by("-created_at", "-id").values_list(
        "pk", "schedule_id", "scenario_id"
    ):
        # Same indicator and key for every run of one schedule (or of one scenario on demand): one breach.
        latest.setdefault(f"schedule:{schedule_id}" if schedule_id else f"scenario:{scenario_id}", pk)
    runs = {run.pk: run for run in finished.filter(pk__in=latest.values()).select_related("schedule", "scenario")}
    for key, pk in latest.items():
        run = runs[pk]
        value = _drill_value(run)
        params = {"name": repr(run.schedule.name if run.schedule_id else run.scenario.name), "run": run.pk}
        if run.status == DrillStatus.FAILED:
            # The error is the run's own text (an exception's, often English): shown as it was recorded.
            template = FAILED_DRILL_MESSAGES[bool(run.schedule_id)]["failed"]
            params["error"] = run.error
        elif value >= 1:
            template = FAILED_DRILL_MESSAGES[bool(run.schedule_id)]["not_met"]
        elif value > 0:
            template = FAILED_DRILL_MESSAGES[bool(run.schedule_id)]["inconclusive"]
        else:
            template = FAILED_DRILL_MESSAGES[bool(run.schedule_id)]["met"]
        readings.append(Reading("failed_drill", key, value, Message(template, params)))
    return readings


CALCULATORS: list[tuple[tuple[str, ...], Callable[[Context], list[Reading]]]] = [
    (("headroom_ratio",), headroom_ratio),
    (("hhi_lender", "hhi_type", "platform_share"), concentration),
    (("maturity_wall_30", "maturity_wall_90"), maturity_wall),
    (("counterparty_downgrade", "counterparty_pd_rise"), counterparty_credit),
    (("own_rating_trigger",), own_rating_trigger),
    (("platform_utilisation",), platform_utilisation),
    (("runway",), runway),
    (("failed_drill",), failed_drill),
]


def read_indicators(*, company: Company, today: date | None = None) -> tuple[list[Reading], dict[str, str]]:
    """Every enabled indicator's readings, graded; and the indicators that could not be read, with the reason."""
    ctx = Context(company=company, today=today or timezone.localdate())
    limits = thresholds_for(company)
    readings: list[Reading] = []
    skipped: dict[str, str] = {}
    for codes, calculate in CALCULATORS:
        if not any(limits[code].enabled for code in codes):
            continue
        try:
            found = calculate(ctx)
        except ValidationError as exc:  # e.g. a channel in a currency without an FX rate
            for code in codes:
                skipped[code] = "; ".join(exc.messages)
            logger.warning("Early warnings of %s: %s not evaluated: %s", company.slug, codes, exc.messages)
            continue
        for reading in found:
            if not limits[reading.indicator].enabled:
                continue
            severity = reading.severity
            if severity == Severity.GREEN:
                severity = grade(INDICATORS[reading.indicator], reading.value, limits[reading.indicator])
            value = reading.value.quantize(VALUE_PLACES) if reading.value is not None else None
            readings.append(Reading(reading.indicator, reading.key, value, reading.text, severity))
    return readings, skipped


@transaction.atomic
def threshold_set(
    *, company: Company, indicator: str, amber: Decimal | None, red: Decimal | None, enabled: bool = True
) -> WarningThreshold:
    """Override an indicator's levels for the company (None keeps the default level)."""
    if indicator not in INDICATORS:
        raise ValidationError({"indicator": f"Unknown indicator {indicator!r}."})
    row, _ = WarningThreshold.objects.get_or_create(company=company, indicator=indicator)
    row.amber, row.red, row.enabled = amber, red, enabled
    definition = INDICATORS[indicator]
    levels = Thresholds(
        amber if amber is not None else definition.amber, red if red is not None else definition.red, enabled
    )
    if levels.amber is not None and levels.red is not None:
        if definition.worse == HIGHER and levels.amber > levels.red:
            raise ValidationError({"amber": "For this indicator higher is worse: amber must not be above red."})
        if definition.worse == LOWER and levels.amber < levels.red:
            raise ValidationError({"amber": "For this indicator lower is worse: amber must not be below red."})
    row.full_clean()
    row.save()
    return row
