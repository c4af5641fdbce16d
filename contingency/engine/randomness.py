"""Random draws of a Monte Carlo block, generated up front as arrays.

Both the vectorised engine (:mod:`.simulate`) and the per-path reference loop of the tests
(tests/contingency/engine/reference.py) consume the same :class:`Draws`, so they can be compared path by path. A
deterministic drill uses :func:`no_draws`: no lender action beyond the scenario's, every plan step with
``success_probability > 0`` works, no operating noise.

The model (documented defaults a company can live with; change them here, in one place)
------------------------------------------------------------------------------------------
*Probability of a lender action within the horizon* for channel c:

* with ``action_probability`` p0 (a chance *per year*) given: ``p = 1 - (1 - p0) ** (s x H/365)`` where
  ``s = hazard_multiplier x (1 + market_stress)`` (so p0 = 0 stays 0 and p0 = 1 stays 1);
* otherwise from an annual intensity ``lambda = (BASE_ANNUAL_ACTION_RATE[type] + PD_MULTIPLIER[type] x pd_1y) x
  (UNCOMMITTED_FACTOR if not committed else 1)``, and ``p = 1 - exp(-lambda x H/365 x s)``. Platforms act far more
  readily than committed bank lines: a platform's policy changes and model false positives (the base rate) and its
  reaction to credit (the PD multiplier) are an order of magnitude above a committed bank line's.

*Dependence*: a one-factor Gaussian copula. Each path draws a market factor M ~ N(0,1); channel c is hit when
``sqrt(rho) M + sqrt(1 - rho) e_c < Phi^-1(p_c)`` with idiosyncratic e_c ~ N(0,1), and ``rho = RHO_CALM +
(RHO_MAX - RHO_CALM) x stress / (1 + stress)``: 0.10 in calm markets, 0.35 at market_stress 1, towards 0.60.

*Kind and day*: the action's kind is drawn from ``ACTION_KIND_WEIGHTS[type]`` (close, freeze, reduce, call), its day
uniformly over the horizon (``floor(u x H)``), unless the scenario forces them (``mc_action_kind``,
``mc_action_day``). A drawn reduction cuts ``mc_reduce_by`` of the limit, a drawn freeze lasts ``mc_freeze_days``.
At most one drawn action per channel and path.

*Plan steps*: step k works on a path when ``u < success_probability`` (u uniform, one per path and step).

*Operating noise*: with ``operating_volatility`` sigma > 0 the day's operating flow is multiplied by
``1 + sigma x eps`` (eps ~ N(0,1) per path and day). Normal rather than lognormal on purpose: no transcendental
function touches the per-path numbers, so blocks give bit-identical results on any IEEE-754 machine.

*Seeding*: block b of a run with seed s uses ``np.random.default_rng(np.random.SeedSequence([s, b]))`` and draws,
in this order: M (P), e (P x C), day u (P x C), kind u (P x C), step u (P x S), then eps (H x P) when sigma > 0,
then, when the company's own rating is known and migrates, its e (P), day u (P) and notch u (P).

*Own rating migration*: within the horizon the company is downgraded with probability ``1 - (1 - p) ** (s x H/365)``
where p is the one-year downgrade rate of its letter in :data:`TRANSITION_MATRIX` and s the stress scale above; tied
to the same market factor (``sqrt(rho) M + sqrt(1 - rho) e < Phi^-1(p_H)``), so that stress makes downgrades both
likelier and clustered with the lenders' actions. The day is uniform over the horizon; the notches follow the matrix's
letter moves (three notches a letter, capped at C).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from .inputs import LENDER_ACTIONS, ChannelInput, DrillInputs

#: Lender actions per year that happen without any credit deterioration (policy changes, model false positives).
BASE_ANNUAL_ACTION_RATE: dict[str, float] = {
    "small_loan_platform": 0.10,
    "supply_chain_finance": 0.05,
    "revolving_credit": 0.02,
    "other": 0.03,
    "bank_term_loan": 0.01,
    "leasing": 0.01,
    "shareholder_loan": 0.005,
    "bond": 0.0,
}
#: How many lender actions per unit of the lender's one-year PD (lenders act long before they default).
PD_MULTIPLIER: dict[str, float] = {
    "small_loan_platform": 20.0,
    "supply_chain_finance": 10.0,
    "revolving_credit": 5.0,
    "other": 5.0,
    "bank_term_loan": 2.0,
    "leasing": 2.0,
    "shareholder_loan": 1.0,
    "bond": 1.0,
}
#: Uncommitted lines can be cancelled at will (Basel: no credit for them under stress).
UNCOMMITTED_FACTOR: float = 3.0
#: Weights of (close, freeze, reduce, call) for a drawn lender action, by channel type.
ACTION_KIND_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    "small_loan_platform": (0.35, 0.25, 0.35, 0.05),
    "supply_chain_finance": (0.50, 0.15, 0.30, 0.05),
    "revolving_credit": (0.20, 0.20, 0.50, 0.10),
    "bank_term_loan": (0.40, 0.10, 0.20, 0.30),
    "bond": (0.60, 0.20, 0.00, 0.20),
    "shareholder_loan": (0.50, 0.20, 0.20, 0.10),
    "leasing": (0.50, 0.10, 0.20, 0.20),
    "other": (0.30, 0.20, 0.30, 0.20),
}
#: One-year corporate rating transitions (%), S&P Global Ratings, "2021 Annual Global Corporate Default And Rating
#: Transition Study" (April 2022), global corporate average one-year transition rates 1981-2021, rows from and
#: columns to AAA, AA, A, BBB, BB, B, CCC/C, D, NR (withdrawn). Used for the Monte Carlo migration of the company's
#: own rating: the NR column is dropped and the row renormalised; a move to D counts as a move to C (a downgrade
#: stops at C — a default is the drill's own shortfall, not a rating). Values as transcribed (rounded to 0.01 %).
TRANSITION_LETTERS: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC/C")
TRANSITION_MATRIX: tuple[tuple[float, ...], ...] = (
    (87.05, 9.03, 0.53, 0.05, 0.08, 0.03, 0.05, 0.00, 3.17),
    (0.49, 87.26, 7.67, 0.46, 0.05, 0.06, 0.02, 0.02, 3.98),
    (0.03, 1.58, 88.62, 5.03, 0.26, 0.11, 0.02, 0.05, 4.30),
    (0.00, 0.09, 3.25, 86.56, 3.43, 0.42, 0.09, 0.15, 6.01),
    (0.01, 0.02, 0.10, 4.54, 77.81, 6.71, 0.53, 0.57, 9.71),
    (0.00, 0.02, 0.06, 0.15, 4.77, 74.11, 4.53, 3.08, 13.27),
    (0.00, 0.00, 0.09, 0.15, 0.45, 13.03, 43.49, 26.52, 16.27),
)
#: Master-scale rank of the middle notch of each letter (AAA 0, AA 2, A 5, BBB 8, BB 11, B 14, CCC 17) and of C.
_LETTER_RANK: tuple[int, ...] = (0, 2, 5, 8, 11, 14, 17)
_RANK_C = 20

RHO_CALM: float = 0.10
RHO_MAX: float = 0.60
#: Day index meaning "never" (beyond any horizon).
NEVER: int = 2**31 - 1


def stress_scale(inputs: DrillInputs) -> float:
    scenario = inputs.scenario
    return scenario.hazard_multiplier * (1.0 + scenario.market_stress)


def action_probability(channel: ChannelInput, inputs: DrillInputs) -> float:
    """Probability that the channel's lender acts within the horizon, after the scenario's scaling."""
    scale = stress_scale(inputs)
    if channel.action_probability is not None:
        base = channel.action_probability  # per year
        if base >= 1.0:
            return 1.0 if scale > 0 else 0.0
        return 1.0 - (1.0 - base) ** (scale * inputs.scenario.horizon_days / 365.0)
    intensity = BASE_ANNUAL_ACTION_RATE[channel.channel_type] + PD_MULTIPLIER[channel.channel_type] * (
        channel.counterparty_pd_1y
    )
    if not channel.committed:
        intensity *= UNCOMMITTED_FACTOR
    return 1.0 - math.exp(-intensity * inputs.scenario.horizon_days / 365.0 * scale)


def letter_of(rank: int) -> int:
    """Row of :data:`TRANSITION_MATRIX` for a master-scale rank (AA+, AA and AA- read the AA row; CCC+ ... C CCC/C)."""
    bounds = (0, 3, 6, 9, 12, 15)  # the last rank of AAA, AA, A, BBB, BB, B
    return next((row for row, last in enumerate(bounds) if rank <= last), len(bounds))


def downgrade_distribution(rank: int) -> tuple[float, np.ndarray]:
    """One-year probability that a company rated ``rank`` is downgraded, and the notches of the downgrade given one
    (a distribution over 1 .. C - rank): the letter moves of the matrix, three notches a letter, capped at C."""
    row = letter_of(rank)
    rates = np.array(TRANSITION_MATRIX[row][:-1], dtype=np.float64)  # NR dropped
    rates = rates / rates.sum()
    worse = rates[row + 1 :]  # to worse letters, then D
    room = _RANK_C - rank
    notches = np.zeros(max(room, 0) + 1)
    for k, share in enumerate(worse, start=1):
        target = _LETTER_RANK[row + k] + (rank - _LETTER_RANK[row]) if row + k < len(_LETTER_RANK) else _RANK_C
        notches[min(max(target - rank, 1), room)] += share
    total = float(notches.sum())
    if room <= 0 or total <= 0:
        return 0.0, notches
    return total, notches / total


def rating_downgrade_probability(inputs: DrillInputs) -> float:
    """Probability of a downgrade of the company's own rating within the horizon, after the scenario's scaling."""
    rank = inputs.scenario.own_rating_rank
    if rank is None:
        return 0.0
    p_year, _ = downgrade_distribution(rank)
    if p_year >= 1.0:
        return 1.0
    return 1.0 - (1.0 - p_year) ** (stress_scale(inputs) * inputs.scenario.horizon_days / 365.0)


def factor_loading(market_stress: float) -> float:
    """Copula correlation rho for a market stress level."""
    return RHO_CALM + (RHO_MAX - RHO_CALM) * market_stress / (1.0 + market_stress)


def _threshold(p: float) -> float:
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    return NormalDist().inv_cdf(p)


@dataclass(frozen=True)
class Draws:
    """Random inputs of one block, channels in *input* order and plan steps in plan ``order``.

    ``event_day`` (P x C, int64): day of the drawn lender action, ``NEVER`` for none; ``event_kind`` (P x C, int8):
    index into ``LENDER_ACTIONS``; ``step_ok`` (P x S, bool); ``flow_noise`` (H x P, day-major) or None.
    ``events_activate_plan``: whether these actions activate an ``on_shock`` plan (False only for the forced
    closures of :func:`~.impact.channel_impact`, which measure a channel's weight, not the plan's reaction).
    ``rating_day`` / ``rating_notches`` (P): the day the company's own rating migrates (NEVER: not in the horizon)
    and by how many notches; None when the rating does not migrate (deterministic drills).
    """

    event_day: np.ndarray
    event_kind: np.ndarray
    step_ok: np.ndarray
    flow_noise: np.ndarray | None
    events_activate_plan: bool = True
    rating_day: np.ndarray | None = None
    rating_notches: np.ndarray | None = None

    @property
    def n_paths(self) -> int:
        return int(self.event_day.shape[0])


def no_draws(inputs: DrillInputs, n_paths: int = 1) -> Draws:
    """Draws of a deterministic drill: no drawn lender action, every step with success_probability > 0 works."""
    n_channels = len(inputs.channels)
    steps = inputs.plan.ordered_steps if inputs.plan is not None else ()
    ok = np.array([s.success_probability > 0 for s in steps], dtype=bool)
    return Draws(
        event_day=np.full((n_paths, n_channels), NEVER, dtype=np.int64),
        event_kind=np.zeros((n_paths, n_channels), dtype=np.int8),
        step_ok=np.tile(ok, (n_paths, 1)).reshape(n_paths, len(steps)),
        flow_noise=None,
    )


def draw_block(inputs: DrillInputs, block_index: int, n_paths: int) -> Draws:
    """The random draws of Monte Carlo block ``block_index`` (``n_paths`` paths)."""
    scenario = inputs.scenario
    if not scenario.is_monte_carlo:
        return no_draws(inputs, n_paths)
    horizon = scenario.horizon_days
    channels = inputs.channels
    steps = inputs.plan.ordered_steps if inputs.plan is not None else ()
    n_channels = len(channels)
    rng = np.random.default_rng(np.random.SeedSequence([scenario.seed, block_index]))

    market = rng.standard_normal(n_paths)
    idiosyncratic = rng.standard_normal((n_paths, n_channels))
    day_u = rng.random((n_paths, n_channels))
    kind_u = rng.random((n_paths, n_channels))
    step_u = rng.random((n_paths, len(steps)))
    noise = rng.standard_normal((horizon, n_paths)) if scenario.operating_volatility > 0 else None

    rho = factor_loading(scenario.market_stress)
    latent = math.sqrt(rho) * market[:, None] + math.sqrt(1.0 - rho) * idiosyncratic
    thresholds = np.array([_threshold(action_probability(c, inputs)) for c in channels], dtype=np.float64)
    hit = latent < thresholds[None, :]

    if scenario.mc_action_day is not None:
        day = np.full((n_paths, n_channels), scenario.mc_action_day, dtype=np.int64)
    else:
        day = np.minimum(np.floor(day_u * horizon).astype(np.int64), horizon - 1)
    event_day = np.where(hit, day, NEVER)

    if scenario.mc_action_kind is not None:
        kind = np.full((n_paths, n_channels), LENDER_ACTIONS.index(scenario.mc_action_kind), dtype=np.int8)
    else:
        kind = np.empty((n_paths, n_channels), dtype=np.int8)
        for j, channel in enumerate(channels):
            cumulative = np.cumsum(ACTION_KIND_WEIGHTS[channel.channel_type])
            cumulative = cumulative / cumulative[-1]
            kind[:, j] = np.minimum(np.searchsorted(cumulative, kind_u[:, j], side="right"), 3)
    success = np.array([s.success_probability for s in steps], dtype=np.float64)
    step_ok = step_u < success[None, :]
    rating_day = rating_notches = None
    if scenario.rating_migration and scenario.own_rating_rank is not None:
        # Drawn after everything else, so that the other draws of a block stay what they were.
        rating_e = rng.standard_normal(n_paths)
        rating_day_u = rng.random(n_paths)
        rating_notch_u = rng.random(n_paths)
        latent_rating = math.sqrt(rho) * market + math.sqrt(1.0 - rho) * rating_e
        downgraded = latent_rating < _threshold(rating_downgrade_probability(inputs))
        rating_day = np.where(
            downgraded, np.minimum(np.floor(rating_day_u * horizon).astype(np.int64), horizon - 1), NEVER
        )
        _, notches = downgrade_distribution(scenario.own_rating_rank)
        cumulative = np.cumsum(notches)
        cumulative = cumulative / cumulative[-1] if cumulative.size and cumulative[-1] > 0 else cumulative
        rating_notches = np.minimum(np.searchsorted(cumulative, rating_notch_u, side="right"), max(notches.size - 1, 0))
    return Draws(event_day=event_day, event_kind=kind, step_ok=step_ok, flow_noise=noise, rating_day=rating_day,
                 rating_notches=rating_notches)  # fmt: skip
