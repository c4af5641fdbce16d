"""The policy verdict and the headline numbers (issue 8 items 13-17, DECISIONS D13-D17), computed by hand.

Every expected number below is worked out in the comment next to it from DESIGN.md's rules, not read from the
engine. Deterministic cases go through the API (POST drills/) and `run_drill --json`; Monte Carlo properties are
checked on the engine by re-running the very same paths (same seed) with more or less day-0 cash.
"""

import json
import math
import random
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from contingency import drills, engine, services
from contingency.engine import (
    ChannelInput,
    DrillInputs,
    PlanInput,
    PoolInput,
    ScenarioInput,
    StepInput,
    block_layout,
    combine,
    run,
    simulate_block,
)
from contingency.engine.extra import subset
from contingency.engine.inputs import DrillInputs as Inputs
from contingency.engine.inputs import TriggerInput
from contingency.engine.model import prepare
from contingency.engine.randomness import NEVER, draw_block
from contingency.engine.simulate import simulate_paths
from contingency.models import DrillRun
from tests.contingency.drill_fixtures import worked_example
from tests.factories import CashFlowLineFactory, FundingChannelFactory, LiquidityPoolFactory

AS_OF = date(2026, 3, 2)
Z95 = 1.959963984540054  # the normal 97.5 % quantile


def start(client, capture, **body):
    with capture(execute=True):
        response = client.post("/api/v1/drills/", body, format="json")
    assert response.status_code == 202, response.json()
    return client.get(f"/api/v1/drills/{response.json()['id']}/").json()


def policy_company(company, *, horizon_days, buffer="0", cash="1000000", daily="-100000"):
    company.survival_horizon_days = horizon_days
    company.min_cash_buffer = Decimal(buffer)
    company.save()
    LiquidityPoolFactory(company=company, name="Cash", kind="cash", amount=Decimal(cash))
    CashFlowLineFactory(company=company, name="Costs", amount=Decimal(daily), start_date=AS_OF, frequency="daily")
    return company


def scenario(company, horizon_days, name="S", **extra):
    return services.scenario_save(company=company, by=None, name=name, as_of=AS_OF, horizon_days=horizon_days, **extra)


def rerun(stored: DrillRun, extra: float):
    """The stored run's snapshot re-run with ``extra`` more day-0 cash (same seed, same draws)."""
    inputs = Inputs.from_dict(stored.snapshot)
    more = inputs.replace_scenario(opening_cash=inputs.scenario.opening_cash + extra)
    return run(more, with_channel_impact=False, with_extra_liquidity=False)


pytestmark = pytest.mark.django_db


# -- D13: the policy horizon --------------------------------------------------------------------------------------


def test_a_30_day_drill_under_a_90_day_policy_is_not_tested(
    company, analyst, api_as, django_capture_on_commit_callbacks
):
    # Cash 1,000,000 and no outflow: the 30 days are comfortably met, but the policy asks for 90.
    policy_company(company, horizon_days=90, daily="0")
    short = scenario(company, 30)
    result = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=short.pk)
    policy = result["results"]["policy"]
    assert policy["verdict"] == "not_tested"
    assert policy["horizon_days"] == 90 and policy["buffer_breach_day"] is None
    assert result["results"]["survived"] is True  # it survives its own 30 days...
    assert result["passed_policy"] is False  # ...which does not test a 90-day policy
    assert result["results"]["extra_liquidity_needed"] == 0.0


def test_a_longer_drill_is_judged_on_the_policy_horizon_only(
    company, analyst, api_as, django_capture_on_commit_callbacks
):
    # Cash 1,000,000, -50,000 a day: end of day t holds 1,000,000 - 50,000 (t + 1); day 19 ends at 0, day 20 at
    # -50,000, so the 60-day drill runs out on day 20.
    policy_company(company, horizon_days=15, daily="-50000")
    long = scenario(company, 60)
    client = api_as(analyst)
    met = start(client, django_capture_on_commit_callbacks, scenario=long.pk)
    assert met["results"]["runway_days"] == 20
    # A 15-day policy looks at days 0-14 only: met, although the drill itself falls short later.
    assert met["results"]["policy"] == {**met["results"]["policy"], "verdict": "met", "horizon_days": 15,
                                        "days_judged": 15, "buffer_breach_day": None}  # fmt: skip
    assert met["passed_policy"] is True and met["results"]["extra_liquidity_needed"] == 0.0

    # A 30-day policy (days 0-29) breaches on day 20; to end day 29 at 0 the company needs 30 x 50,000 = 1,500,000,
    # i.e. 500,000 more on day 0.
    company.survival_horizon_days = 30
    company.save()
    missed = start(client, django_capture_on_commit_callbacks, scenario=long.pk)
    policy = missed["results"]["policy"]
    assert (policy["verdict"], policy["buffer_breach_day"], policy["days_judged"]) == ("not_met", 20, 30)
    assert missed["passed_policy"] is False
    assert missed["results"]["extra_liquidity_needed"] == 500_000.00


# -- D14: the buffer ---------------------------------------------------------------------------------------------


def test_cash_below_the_buffer_is_a_breach_on_its_first_day(
    company, analyst, api_as, django_capture_on_commit_callbacks
):
    # Cash 1,000,000, -100,000 a day, buffer 200,000, no lines to draw: day 7 ends at 200,000 (on the buffer, kept),
    # day 8 at 100,000 (below it): the breach is day 8, two days before the first shortfall (day 10 ends at -100,000).
    policy_company(company, horizon_days=30, buffer="200000")
    month = scenario(company, 30)
    result = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=month.pk)
    results = result["results"]
    assert results["runway_days"] == 10
    assert results["policy"]["verdict"] == "not_met" and results["policy"]["buffer_breach_day"] == 8
    # Keeping 200,000 through day 29 takes 200,000 + 30 x 100,000 = 3,200,000 on day 0: 2,200,000 more.
    assert results["extra_liquidity_needed"] == 2_200_000.00
    stored = DrillRun.objects.get(pk=result["id"])
    assert rerun(stored, 2_200_000).policy["verdict"] == "met"
    assert rerun(stored, 2_200_000 * 0.99).policy["verdict"] == "not_met"
    assert rerun(stored, 2_200_000 - 0.01).policy["buffer_breach_day"] == 29  # one cent short, on the last day

    # run_drill --json prints the same object, and the summary states the verdict and the breach.
    out = StringIO()
    call_command("run_drill", company="acme", scenario=month.name, json=True, stdout=out)
    assert json.loads(out.getvalue())["policy"] == results["policy"]
    summary = StringIO()
    call_command("run_drill", company="acme", scenario=month.name, stdout=summary)
    assert "policy: NOT met" in summary.getvalue() and "first buffer breach on day 8" in summary.getvalue()


def test_draws_that_hold_cash_on_the_buffer_are_no_breach(company, analyst, api_as, django_capture_on_commit_callbacks):
    # Same company with a 5,000,000 revolver at 0 %: from day 8 each day draws what keeps cash at 200,000 exactly
    # (3,000,000 - 800,000 = 2,200,000 drawn by day 29), so the buffer is kept and the policy is met.
    policy_company(company, horizon_days=30, buffer="200000")
    FundingChannelFactory(company=company, name="Revolver", limit=Decimal("5000000"), annual_rate=Decimal("0"))
    result = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=scenario(company, 30).pk)
    assert result["results"]["policy"]["verdict"] == "met" and result["passed_policy"] is True
    assert result["results"]["min_liquidity"] == 200_000 + 5_000_000 - 2_200_000


# -- D16: extra liquidity, the displaced-draw case by hand -----------------------------------------------------------


def test_extra_cash_that_displaces_draws_on_a_line_lost_later_is_counted(
    company, analyst, api_as, django_capture_on_commit_callbacks
):
    # No cash; 500,000 due on day 0 and again on day 2; a 500,000 revolver at 0 % closed by the lender on day 1.
    # As is: day 0 draws 500,000, the line closes, day 2 ends at -500,000: the deficit is 500,000. But 500,000 more
    # cash on day 0 only replaces the draw (the line is then lost undrawn) and day 2 still ends at -500,000. With x
    # >= 500,000 nothing is drawn and day 2 ends at x - 1,000,000: 1,000,000 is needed.
    company.survival_horizon_days = 10
    company.save()
    for day in (0, 2):
        CashFlowLineFactory(company=company, name=f"Due {day}", amount=Decimal("-500000"),
                            start_date=AS_OF + timedelta(days=day), frequency="once")  # fmt: skip
    line = FundingChannelFactory(company=company, name="Revolver", limit=Decimal("500000"), annual_rate=Decimal("0"))
    lost = scenario(
        company, 10, shocks=[{"target_type": "channel", "target": str(line.pk), "action": "close", "day": 1}]
    )
    result = start(api_as(analyst), django_capture_on_commit_callbacks, scenario=lost.pk)
    results = result["results"]
    assert results["deepest_deficit"] == 500_000.00  # the naive answer
    assert results["extra_liquidity_needed"] == 1_000_000.00
    assert results["policy"]["buffer_breach_day"] == 2
    stored = DrillRun.objects.get(pk=result["id"])
    assert rerun(stored, 500_000).policy["verdict"] == "not_met"
    assert rerun(stored, 1_000_000).policy["verdict"] == "met"
    assert rerun(stored, 990_000).policy["verdict"] == "not_met"


def test_designs_worked_example_still_gives_30_and_14(company, analyst, api_as, django_capture_on_commit_callbacks):
    example = worked_example(company)  # policy horizon 30, buffer 0
    client = api_as(analyst)
    calm = start(client, django_capture_on_commit_callbacks, scenario=example["no_shock"].pk, plan=example["plan"].pk)
    cut = start(client, django_capture_on_commit_callbacks, scenario=example["line_closes"].pk, plan=example["plan"].pk)
    assert calm["results"]["runway_days"] == 30 and cut["results"]["runway_days"] == 14
    assert calm["results"]["policy"]["verdict"] == "met" and cut["results"]["policy"]["verdict"] == "not_met"
    # B: 30 days cost 3,000,000 against 1,000,000 + the fund's 490,000: 1,510,000 more on day 0.
    assert cut["results"]["extra_liquidity_needed"] == 1_510_000.00
    assert cut["results"]["policy"]["buffer_breach_day"] == 14


# -- D15: Monte Carlo uncertainty -------------------------------------------------------------------------------


def one_platform(p_year: float, *, paths: int, seed: int, target: float = 0.95, horizon: int = 365) -> DrillInputs:
    """One platform line carries the company: if its lender closes it (day 0) cash falls short at once.

    Cash 0, 10,000 out every day, a 10,000,000 line; the lender acts with probability ``p_year`` per year, i.e. within
    this one-year horizon; its action is a close on day 0. A path keeps the (zero) buffer iff the lender does not act.
    """
    line = ChannelInput(key="p", name="Platform", channel_type="small_loan_platform", committed=False, status="active",
                        limit=10_000_000, drawn=0, action_probability=p_year)  # fmt: skip
    sc = ScenarioInput(horizon_days=horizon, opening_cash=0, operating_flows=np.full(horizon, -10_000.0),
                       kind="monte_carlo", paths=paths, seed=seed, target_survival_probability=target,
                       mc_action_kind="close", mc_action_day=0, block_size=paths)  # fmt: skip
    return DrillInputs(sc, (line,))


def test_the_standard_error_matches_the_spread_of_survival_over_seeds():
    # p = 0.3 of acting, so each of 400 paths keeps the buffer with probability 0.7; over 30 seeds the estimates
    # scatter with sd sqrt(0.7 x 0.3 / 400) = 0.0229. The sample sd of 30 estimates is itself uncertain by about
    # 1 / sqrt(2 x 29) = 13 %, so a 40 % band (three of those) cannot fail by chance in practice.
    estimates, errors = [], []
    for seed in range(30):
        result = run(one_platform(0.3, paths=400, seed=seed), with_channel_impact=False, with_extra_liquidity=False)
        p = result.policy["probability"]
        assert result.policy["standard_error"] == pytest.approx(math.sqrt(p * (1 - p) / 400), rel=1e-12)
        estimates.append(p)
        errors.append(result.policy["standard_error"])
    spread = float(np.std(estimates, ddof=1))
    assert abs(np.mean(estimates) - 0.7) < 3 * 0.0229 / math.sqrt(30)
    assert 0.6 < spread / float(np.mean(errors)) < 1.4
    assert 0.6 < spread / math.sqrt(0.7 * 0.3 / 400) < 1.4


def wilson(p: float, n: int) -> tuple[float, float]:
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return centre - half, centre + half


def test_an_interval_that_contains_the_target_is_inconclusive_and_says_how_many_paths_decide():
    # 5 % of lenders act: about 95 % of 200 paths keep the buffer against a 95 % target; the 95 % interval is
    # about +-3 points wide, so it holds the target.
    result = run(one_platform(0.05, paths=200, seed=3), with_channel_impact=False, with_extra_liquidity=False)
    policy = result.policy
    p = policy["probability"]
    low, high = wilson(p, 200)
    assert (policy["ci_low"], policy["ci_high"]) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert low < 0.95 <= high and policy["verdict"] == "inconclusive"
    # Decided once z sqrt(t (1 - t) / n) < |p - t|: n > 1.96^2 x 0.95 x 0.05 / (p - 0.95)^2.
    if p != 0.95:
        assert policy["paths_to_decide"] == math.floor(Z95**2 * 0.95 * 0.05 / (p - 0.95) ** 2) + 1
    # The same lender, judged with 20,000 paths at a 90 % target, is clearly met; at 99 % clearly not met.
    assert run(one_platform(0.05, paths=20_000, seed=3, target=0.90), with_channel_impact=False,
               with_extra_liquidity=False).policy["verdict"] == "met"  # fmt: skip
    assert run(one_platform(0.05, paths=20_000, seed=3, target=0.99), with_channel_impact=False,
               with_extra_liquidity=False).policy["verdict"] == "not_met"  # fmt: skip


def test_a_monte_carlo_drill_shorter_than_the_policy_is_not_tested():
    inputs = one_platform(0.0, paths=50, seed=1, horizon=30)
    inputs = inputs.replace_scenario(policy_horizon_days=90)
    result = run(inputs, with_channel_impact=False)
    assert result.policy["probability"] == 1.0 and result.policy["verdict"] == "not_tested"


# -- D16 in Monte Carlo: the same paths, re-run ------------------------------------------------------------------


def lines_lost_to_lenders(kind: str | None, *, notice: int = 0, volatility: float = 0.0, buffer: float = 0.0,
                          plan: bool = False, paths: int = 600, rating: bool = False) -> DrillInputs:  # fmt: skip
    """Four platform and bank lines, half drawn, that lenders close, call or cut at random; the company draws on them
    to pay 40,000 a day, so extra day-0 cash displaces draws on lines that may be lost later."""
    channels = tuple(
        ChannelInput(
            key=f"c{i}",
            name=f"Line {i}",
            channel_type=t,
            committed=t == "revolving_credit",
            status="active",
            limit=1_000_000,
            drawn=400_000,
            annual_rate=0.04 + 0.01 * i,
            notice_days=notice,
            action_probability=0.6,
            rolls_over=True,
            # Lenders that close the line once our own rating (B-) migrates to CCC+ or worse.
            triggers=(TriggerInput(kind="own_rating_below", rating_rank=15, action="close"),) if rating else (),
        )
        for i, t in enumerate(("small_loan_platform", "revolving_credit", "small_loan_platform", "other"))
    )
    horizon = 90
    pools = (PoolInput(key="mmf", kind="money_market_fund", amount=600_000, haircut=0.02, days_to_cash=5),)
    steps = (StepInput(order=1, action="liquidate_pool", pool_key="mmf", success_probability=0.8),)
    sc = ScenarioInput(horizon_days=horizon, opening_cash=500_000, operating_flows=np.full(horizon, -40_000.0),
                       min_cash_buffer=buffer, kind="monte_carlo", paths=paths, seed=11, block_size=200,
                       target_survival_probability=0.9, mc_action_kind=kind, operating_volatility=volatility,
                       policy_horizon_days=60, own_rating_rank=15 if rating else None)  # fmt: skip
    return DrillInputs(
        sc, channels, pools if plan else (), PlanInput(trigger="on_shock", steps=steps) if plan else None
    )


@pytest.mark.parametrize(
    "design",
    [
        {"kind": "close"},
        {"kind": "call", "notice": 7},
        {"kind": "reduce", "buffer": 100_000.0, "volatility": 0.3},
        {"kind": None, "plan": True, "volatility": 0.2, "buffer": 50_000.0},
        {"kind": None, "rating": True, "volatility": 0.1},
    ],
    ids=["closed", "called-with-notice", "cut-with-buffer-and-noise", "any-action-with-a-plan", "rating-migration"],
)
def test_adding_the_extra_liquidity_meets_the_target_on_the_same_seed_and_one_percent_less_does_not(design):
    inputs = lines_lost_to_lenders(**design)
    result = run(inputs, with_channel_impact=False)
    extra = result.extra_liquidity_needed
    target = inputs.scenario.target_survival_probability
    assert result.policy["probability"] < target and extra > 0

    def kept(amount: float) -> float:
        more = inputs.replace_scenario(opening_cash=inputs.scenario.opening_cash + amount)
        return run(more, with_channel_impact=False, with_extra_liquidity=False).policy["probability"]

    assert kept(extra) >= target
    assert kept(extra * 0.99) < target
    assert kept(extra - 0.01) < target  # the smallest amount, to the cent


def test_re_simulating_some_paths_reproduces_those_paths_exactly():
    # The search re-runs only breaching paths: their lender actions, step outcomes, noise and rating migration
    # must be the very same as in the block (a subset that dropped one of them would search other paths).
    inputs = lines_lost_to_lenders(None, plan=True, volatility=0.2, rating=True)
    draws = draw_block(inputs, 1, 200)
    assert draws.rating_day is not None and (draws.rating_day < NEVER).any()
    model = prepare(inputs)
    whole = simulate_paths(model, draws, policy_days=60)
    rows = np.flatnonzero(draws.rating_day < NEVER)[:6]
    rows = np.concatenate([rows, [0, 7, 199]])
    part = simulate_paths(model, subset(draws, rows), policy_days=60)
    for name in ("runway", "breach_day", "buffer_margin", "min_liquidity", "contingency_used", "final_cash"):
        np.testing.assert_array_equal(getattr(part, name), getattr(whole, name)[rows], err_msg=name)


def test_blocks_simulated_apart_combine_to_the_same_extra_liquidity():
    inputs = lines_lost_to_lenders("close", paths=600)  # three blocks of 200
    whole = run(inputs, with_channel_impact=False).to_dict()
    stored = [json.loads(json.dumps(simulate_block(inputs, i).to_dict())) for i, _ in block_layout(inputs)]
    random.Random(5).shuffle(stored)
    assert combine(stored, inputs, with_channel_impact=False).to_dict() == whole
    assert run(inputs, workers=2, with_channel_impact=False).to_dict() == whole


def test_drill_finish_settles_the_extra_liquidity_from_blocks_stored_by_separate_workers(company, analyst):
    # The run's blocks are computed one by one (as separate workers would), stored, and combined by drill_finish.
    from tests.contingency.drill_fixtures import monte_carlo_scenario

    example = worked_example(company)
    mc = monte_carlo_scenario(company, paths=240, seed=9, horizon_days=40)
    run_row = drills.drill_start(company=company, scenario=mc, plan=example["plan"], by=analyst, enqueue=False)
    run_row.snapshot["scenario"]["block_size"] = 50  # five blocks
    run_row.blocks_total = 5
    run_row.save(update_fields=["snapshot", "blocks_total"])
    assert drills.claim(run_row.pk) is not None
    for index in (3, 0, 4, 2, 1):
        drills.block_execute(run_row.pk, index)
    assert drills.drill_finish(run_row.pk)
    finished = DrillRun.objects.get(pk=run_row.pk)
    expected = json.loads(json.dumps(engine.run(Inputs.from_dict(finished.snapshot)).to_dict(), default=float))
    assert finished.results == expected
    assert finished.passed_policy is (expected["policy"]["verdict"] == "met")
    extra = finished.results["extra_liquidity_needed"]
    inputs = Inputs.from_dict(finished.snapshot)
    target = inputs.scenario.target_survival_probability
    assert finished.results["policy"]["probability"] < target and extra > 0
    assert rerun(finished, extra).policy["probability"] >= target
    assert rerun(finished, extra * 0.99).policy["probability"] < target


# -- D17: one runway headline ----------------------------------------------------------------------------------


def test_the_monte_carlo_runway_headline_is_the_quantile_at_the_policy_confidence():
    # Paths where the lender closes the line fall short on day 0, the others survive. With 1,000 paths and about
    # 30 % acting, the 5 % quantile (target 95 %) is day 0; with 1 % acting it survives (None).
    many = run(one_platform(0.3, paths=1000, seed=2), with_channel_impact=False, with_extra_liquidity=False)
    assert many.runway_days["at_target"] == 0 and many.runway_days["shortfall_paths"] > 50
    few = run(
        one_platform(0.01, paths=1000, seed=2, target=0.95), with_channel_impact=False, with_extra_liquidity=False
    )
    short = few.runway_days["shortfall_paths"]
    assert 0 < short < 50 and few.runway_days["at_target"] is None
    # Exactly at the edge: the (1 - target) quantile is day 0 once more than 1,000 x (1 - target) paths fall short.
    edge = 1 - (short - 1) / 1000  # target with 1000 (1 - target) = short - 1 < short
    at_edge = run(one_platform(0.01, paths=1000, seed=2, target=edge), with_channel_impact=False,
                  with_extra_liquidity=False)  # fmt: skip
    assert at_edge.runway_days["at_target"] == 0


def test_compare_shows_the_verdict_and_the_paths_that_fall_short_never_a_bare_survives(client, company, analyst):
    from django.urls import reverse

    from tests.contingency.drill_fixtures import monte_carlo_scenario

    example = worked_example(company)  # 30-day policy, 99 % target
    runs = []
    for seed in (1, 2):
        mc = monte_carlo_scenario(company, paths=300, seed=seed, name=f"MC {seed}", horizon_days=40)
        started = drills.drill_start(company=company, scenario=mc, plan=example["plan"], by=analyst, enqueue=False)
        drills.drill_run_here(drills.claim(started.pk))
        runs.append(DrillRun.objects.get(pk=started.pk))
    for finished in runs:
        runway = finished.results["runway_days"]
        # Lenders cut the line on some paths: they fall short, so the 1 % quantile is a day, not "survives".
        assert runway["shortfall_paths"] > 3 and runway["at_target"] is not None
    client.force_login(analyst)
    html = client.get(reverse("contingency:drill-compare"), {"a": runs[0].pk, "b": runs[1].pk}).content.decode()
    verdict_row = html[html.index('id="compare-verdict"') :].split("</tr>")[0]
    verdicts = [finished.results["policy"]["verdict"] for finished in runs]
    assert all(v in ("not_met", "inconclusive") for v in verdicts)
    label = {"not_met": "Not met", "inconclusive": "Inconclusive"}
    assert all(label[v] in verdict_row for v in verdicts)
    runway_row = html[html.index("Runway (days)") :].split("</tr>")[0]
    assert "survives" not in runway_row
    assert f">{runs[0].results['runway_days']['at_target']} <small" in runway_row
    assert "at 99% confidence" in runway_row  # the 1 % quantile: the policy's 99 % target
    short_row = html[html.index("Paths that fall short") :].split("</tr>")[0]
    assert str(runs[0].results["runway_days"]["shortfall_paths"]) in short_row
