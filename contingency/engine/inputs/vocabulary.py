"""The engine's vocabulary: the values every input field may take, the rating scale's landmarks (the validation
helpers the input dataclasses share are in :mod:`.checks`)."""

from __future__ import annotations

CHANNEL_TYPES: tuple[str, ...] = (
    "bank_term_loan",
    "revolving_credit",
    "supply_chain_finance",
    "small_loan_platform",
    "bond",
    "shareholder_loan",
    "leasing",
    "other",
)
CHANNEL_STATUSES: tuple[str, ...] = ("active", "reduced", "frozen", "closed", "matured")
#: Statuses on day 0 that allow draws (and rollover).
OPEN_STATUSES: tuple[str, ...] = ("active", "reduced")
POOL_KINDS: tuple[str, ...] = (
    "cash",
    "deposit",
    "money_market_fund",
    "backup_line",
    "receivables",
    "shareholder_support",
    "other",
)
STEP_ACTIONS: tuple[str, ...] = (
    "draw_backup_line",
    "liquidate_pool",
    "factor_receivables",
    "cut_discretionary",
    "shareholder_support",
    "other",
)
#: Lender actions, in the order of their integer codes inside the engine.
LENDER_ACTIONS: tuple[str, ...] = ("close", "freeze", "reduce", "call")
TRIGGER_KINDS: tuple[str, ...] = (
    "own_rating_below",
    "utilisation_above",
    "utilisation_below",
    "any_overdue",
    "borrowing_frequency",
    "inflow_drop",
)
SHOCK_TARGETS: tuple[str, ...] = ("channel", "channel_type", "counterparty", "all", "all_platforms", "company")
#: What a shock can do: the four lender actions to channels, a downgrade to the company.
SHOCK_ACTIONS: tuple[str, ...] = (*("close", "freeze", "reduce", "call"), "downgrade")
PLAN_TRIGGERS: tuple[str, ...] = ("on_shock", "below_threshold")
DRILL_KINDS: tuple[str, ...] = ("deterministic", "monte_carlo")
#: Day counts, and the days per year of the engine's daily interest on its own draws under each (30/360 accrues
#: per calendar day on a 360-day year: conservative, a 31-day month costs 31/360).
DAY_COUNT_BASIS: dict[str, int] = {"ACT/360": 360, "ACT/365F": 365, "30/360": 360}
#: Master-scale rank of C: a downgrade stops there (D is a default, not a downgrade).
RANK_C = 20

#: Channel types whose repaid principal does *not* restore headroom (amortising / non-revolving facilities),
#: used when ``ChannelInput.revolving`` is None.
NON_REVOLVING_TYPES: frozenset[str] = frozenset({"bank_term_loan", "bond", "shareholder_loan", "leasing"})
#: "all_platforms" shocks hit these channel types.
PLATFORM_TYPES: frozenset[str] = frozenset({"small_loan_platform"})
