"""The drill engine: a pure numpy package (no Django) that rehearses funding-channel shutdowns day by day.

Public API
==========
Inputs (:mod:`contingency.engine.inputs`, frozen dataclasses with ``to_dict()`` / ``from_dict()``)::

    DrillInputs(scenario: ScenarioInput, channels: tuple[ChannelInput, ...], pools: tuple[PoolInput, ...],
                plan: PlanInput | None)

Store ``inputs.to_dict()`` as the run's snapshot; ``DrillInputs.from_dict(snapshot)`` reruns to the same numbers.

Running::

    run(inputs, *, workers=1, with_channel_impact=True, with_extra_liquidity=True, progress=None) -> DrillResult
        Whole drill in this process (or ``workers`` processes); memory stays flat as paths grow (plus about 48 bytes
        per breaching path that can still decide the extra liquidity: those near the order statistic D16 takes).
        ``with_extra_liquidity=False`` skips that search (``extra_liquidity_needed`` is then None).
    block_layout(inputs) -> list[(block_index, n_paths)]
        The fixed cut of the paths into blocks of ``scenario.block_size`` (default 5000; deterministic drill: one
        block). The numbers depend on the seed and the block size, never on where or in which order blocks run.
    simulate_block(inputs, block_index, n_paths_in_block=None, *, with_extra_liquidity=True) -> BlockResult
        One block, anywhere (e.g. one Celery task per block). ``BlockResult.to_bytes()`` is its compact, lossless
        form for the database (``from_bytes()`` reads it back; ``to_dict()`` / ``from_dict()`` are JSON). It
        carries its breaching paths' extra-liquidity brackets.
    combine(block_results, inputs, *, with_channel_impact=True) -> DrillResult
        Folds every block (BlockResult objects or their dicts, any order, streamed one at a time). The result is
        bit-identical to ``run(inputs)`` whatever the split or order; a missing or repeated block is a ValueError.
        It settles ``extra_liquidity_needed`` by re-simulating, from their blocks' seeds, only the few breaching
        paths whose need can still decide it (:mod:`contingency.engine.extra`).
    channel_impact(inputs) -> list[dict]
        Which channel's loss hurts most (each channel closed on day 0, deterministic reruns in one batch; the
        closure itself does not activate an on_shock plan, so the ranking shows each channel's own weight).
        ``run``/``combine`` include it unless ``with_channel_impact=False`` (skip it for huge runs if you like;
        it costs one deterministic batch of len(channels)+1 paths).

``DrillResult.to_dict()`` (JSON-friendly; money rounded to 2 decimals)::

    horizon_days, paths, seed, kind, block_size, target_survival_probability,
    survived                 bool for one path, None for Monte Carlo
    survival_probability     share of paths with no shortfall (cash below 0) over the whole horizon (1.0 / 0.0 for
                             one path). Not the policy's figure: that is policy.probability (the buffer, P days).
    runway_days              one path: first shortfall day or None (survives the horizon).
                             Monte Carlo: {"at_target": THE HEADLINE, the (1 - target_survival_probability) quantile
                             of the per-path runway (the 1 % quantile for a 99 % target; exact rank
                             ceil((1 - target) x n) of the sorted runways, a surviving path counting as the horizon),
                             None when that quantile survives the horizon (D17); "p1", "p5", "p50": the 1/5/50 %
                             quantiles likewise; "mean_if_shortfall": mean runway of the paths that fall short (None if
                             none); "shortfall_paths": count}
    policy                   the verdict against the company's policy (DESIGN "The policy verdict", D13-D15):
                             {"verdict": "met" | "not_met" | "inconclusive" | "not_tested",
                              "horizon_days": P (scenario.policy_horizon_days, the company's survival horizon),
                              "days_judged": min(H, P) (days 0 .. min(H, P) - 1 are judged),
                              "target_survival_probability",
                              "probability": share of paths with no buffer breach in the days judged (a breach: end-of-
                                  day cash, after step 4's draws and step 5, below min_cash_buffer - 0.005),
                              "breach_paths": paths with a breach,
                              "standard_error": sqrt(p (1 - p) / n) (None for one path),
                              "ci_low", "ci_high": the 95 % Wilson score interval of p (None for one path),
                              "buffer_breach_day": one path: its first breach day or None; Monte Carlo: the median
                                  first breach day of the paths with a breach (None if none),
                              "paths_to_decide": inconclusive only: the smallest n at which the 95 % interval would
                                  leave the target out if p stayed the same, floor(z^2 t (1 - t) / (p - t)^2) + 1}
                             not_tested when H < P; otherwise one path: met iff no breach; Monte Carlo: met if ci_low
                             >= target, not_met if ci_high < target, else inconclusive.
    min_liquidity, min_liquidity_day   lowest liquidity (cash + open headroom) and its day; Monte Carlo: worst path
    liquidity_at_risk_95 / _99          5 % / 1 % quantile of per-path minimum liquidity
    extra_liquidity_needed   the smallest day-0 cash x >= 0, to the cent, such that the same paths (same seed, same
                             draws) re-run with opening cash + x meet the policy over the days judged: one path, no
                             buffer breach; Monte Carlo, policy.probability >= target (the point estimate) (D16).
                             Found per breaching path by a bracketed search that simulates every candidate (extra cash
                             displaces draws on lines that may be lost later, so it is not the deficit); Monte Carlo
                             takes the k-th smallest need, k = ceil(target x n) - paths kept. 0 when already met;
                             None when the search was skipped. Assumes more cash never breaks a kept buffer (a
                             below_threshold plan that activates later could).
    deepest_deficit          largest negative cash (one path; Monte Carlo: worst path)
    contingency_used, contingency_cost  delivered by the plan and its cost (Monte Carlo: mean over paths)
    gap_day                  first day liquidity *without the plan's deliveries* (liquidity minus what the plan
                             delivered so far) is below the buffer (Monte Carlo: {"paths_with_gap", "share", "p50"})
    closing_step             plan ``order`` of the first step such that, with it and the steps before it (and
                             without the later ones), liquidity never falls below the buffer; None if none does
                             (Monte Carlo: {"paths_with_gap", "closed_by_step": {order: paths}, "not_closed"})
    plan_activation_day      (Monte Carlo: {"activated_paths", "share", "p50"})
    fan                      {"days": [...], "p5", "p25", "p50", "p75", "p95": daily liquidity percentiles}
    channel_impact           list of {channel_key, name, channel_type, runway_days, runway_impact_days,
                             min_liquidity, min_liquidity_impact}, most harmful first, or None
    lender_actions           what the lenders did: per source that acted (a scenario shock on a channel, a trigger,
                             a channel's drawn actions) {channel, name, source (shock, trigger, random), kind (the
                             shock's target type or the trigger's kind), action, liquidity_lost (headroom lost plus
                             what the act demanded)} with ``day`` (one path) or ``paths``, ``share``, ``p50_day``
                             and the mean liquidity lost where it acted (Monte Carlo; drawn actions add
                             ``by_action``)
    own_rating               {start_rank (None: unknown), changes: [{day, rank}]} for one path; Monte Carlo
                             {start_rank, downgraded_paths, share}

The rules (DESIGN.md "Drill semantics, exactly", plus the decisions below)
=========================================================================
Days t = 0 .. H-1. Liquidity = cash + headroom (limit - drawn, at least 0) of *open* channels, i.e. not shut
(closed, called, matured) and not frozen; a channel that the plan draws as a backup line is contingency, not
liquidity, and is drawn only by its plan step. Day-0 status and recorded history: active and reduced lines are
open, closed and matured ones shut; a frozen line reopens on ``frozen_until_day`` (the recorded freeze's end; None:
frozen through the horizon); a line that has not started (``start_day`` > 0) gives no headroom and takes no draws
before that day; under ``no_credit_uncommitted`` (deterministic drills under market-wide stress, unless the company's
policy credits them: the BCBS convention) every uncommitted line is shut from day 0 — not a shock. Within each day,
per path:

1. Operating flow (x (1 + sigma eps) in Monte Carlo), minus discretionary outflows, minus every channel's
   ``interest_due`` and ``fee_due`` (fees on the limit on the line's payment dates), minus interest on the engine's
   own draws (annual_rate / 360 per calendar day for ACT/360 and 30/360, / 365 for ACT/365F, on their balance at the
   start of the day). A facility reaching ``maturity_day`` is shut with limit 0. Scheduled ``principal_due`` (the
   loan's own payment grid: start date plus whole periods) is paid (capped at what is left of the existing draws)
   unless the line rolls over and is open; on non-revolving types repaid principal also lowers the limit. A
   matured facility then repays everything still drawn, and amounts demanded by lenders whose notice ends today
   are paid (what is drawn above the limit at that moment) — a demand recorded before the drill
   (``demand_day``: what a recorded reduction or call left above the limit) too, whether or not the line rolls over.
   Repayments reduce the engine's own draws first. Scheduled interest and fees are paid as scheduled even after a
   call or a closure (conservative: no credit for interest or fees saved).
2. Lender actions of the day, in this order: scenario shocks on channels (input order), drawn Monte Carlo actions;
   then the company's own rating moves (``own_downgrade_notches`` on day 0, company downgrade shocks, Monte Carlo
   migration, and the spiral: the day after a shortfall the company is rated C; a downgrade stops at C, D stays
   D); then every lender trigger (:class:`.inputs.TriggerInput`: own rating below, utilisation above / below,
   any overdue beyond the grace days, borrowing frequency, inflow drop) is evaluated on that state and the fired
   ones are applied in channel order. A rating clause already breached fires on day 0. Each act is recorded per
   source (shock, trigger, drawn action) for the report's ``lender_actions``.
   close: shut, no draws from today, what is drawn runs off on its schedule (and the engine's draws at maturity).
   freeze k: no draws and no rollover on days s .. s+k-1, reopens on s+k (no effect on a shut line).
   reduce r: limit x (1 - r); what is drawn above the new limit falls due on s + notice_days.
   call: shut, limit 0, everything drawn falls due on s + notice_days.
   Supply-chain finance snaps back: when closed, frozen or called, everything drawn falls due at once; when
   reduced, the excess falls due at once. An amount due "at once" (also any notice of 0 days) is paid right
   there. If a second action comes while a notice runs, what is due is settled on the earlier date against the
   limit then in force.
   Scenario shocks and drawn actions act whatever the line's state (a call on a closed line accelerates what is
   still drawn); a trigger fires at most once per path, and only on a line that is not shut. An ``on_shock`` plan
   activates on the first day any of these happens on the path (a scenario shock counts if it hits a channel).
3. Plan steps whose lead time has elapsed deliver (activation day + lead time; an omitted lead time is the pool's
   days to cash): capacity x (1 - haircut), capped by what is left of the pool; a step on a backup-line pool (one
   linked to a channel), whatever its action, draws on that channel (capped by its headroom) and delivers nothing
   if the channel is shut or frozen; ``cut_discretionary`` cancels, each day from then on, that day's discretionary
   outflow up to its capacity. Cost = delivered x cost_rate is paid out of what the step brings (cash receives delivered x (1 - cost_rate); conservative: a factoring discount or a fee is not free). Deterministic
   drills count a step as working when its success_probability is above 0; Monte Carlo draws it per path.
4. If cash is below the buffer, draw on open channels' headroom, lowest annual_rate first (ties: input order),
   up to the buffer. (With buffer 0 draws happen only when cash is below 0.)
4b. A ``below_threshold`` plan activates when liquidity after step 4 is below its threshold; its lead-time-0
   steps deliver at once.
5. Cash below 0 is a shortfall that day (runway = first such day); the deficit carries on to later days.

Monte Carlo draws (lender action probability, one-factor Gaussian copula, kinds, days, step failure, operating
noise, seeding by ``SeedSequence([seed, block_index])``) are documented in :mod:`contingency.engine.randomness`.
Quantiles of many paths come from fixed-grid mergeable sketches (:mod:`contingency.engine.sketch`): within 0.01 %
for per-path money metrics (conservatively rounded: liquidity-at-risk down, extra liquidity up) and, for the fan,
read linearly between the exact smallest and largest value of a cell at most 3.1 % wide (typically within 0.1 %);
exact for one path or identical paths. The fan reports every day for horizons up to 200 days, else an even
subsample of about 200 days that always includes the last. Money is compared to the half cent: cash below -0.005 is
a shortfall, so float dust after a draw that exactly covers a need is not.

Memory: a block holds its paths' state (channels x paths) and daily liquidity (days x paths); ``run`` and ``combine``
keep only integer counts, integer-cent sums and a fixed-size fan sketch, so peak memory does not grow with paths.
Speed: see docs/benchmarks.md ("Drill engine").
"""

from .impact import channel_impact
from .inputs import (
    ChannelInput,
    DrillInputs,
    PlanInput,
    PoolInput,
    ScenarioInput,
    ShockInput,
    StepInput,
    TriggerInput,
)
from .results import BlockResult, DrillResult
from .runner import block_layout, combine, run, simulate_block

__all__ = [
    "BlockResult",
    "ChannelInput",
    "DrillInputs",
    "DrillResult",
    "PlanInput",
    "PoolInput",
    "ScenarioInput",
    "ShockInput",
    "StepInput",
    "TriggerInput",
    "block_layout",
    "channel_impact",
    "combine",
    "run",
    "simulate_block",
]
