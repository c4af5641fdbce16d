"""Inputs of the drill engine: frozen, plain-Python/numpy dataclasses.

Modules: :mod:`.vocabulary` (the values fields may take), :mod:`.channels` (channels and their triggers),
:mod:`.plan` (pools, plan steps, the plan), :mod:`.scenario` (shocks, the scenario, the whole drill); every name is
imported from here.

A Django service builds one :class:`DrillInputs` from the database (Decimal -> float at this boundary),
stores ``inputs.to_dict()`` in a JSONField as the run's snapshot, and can rebuild the very same inputs with
``DrillInputs.from_dict(snapshot)`` to rerun the drill to the same numbers (floats survive a JSON round trip
exactly).

Conventions
-----------
* Money is float64 in the reporting currency. Days are calendar-day indices ``0 .. horizon_days - 1``;
  day 0 is the scenario's as-of date.
* Per-day arrays (``operating_flows``, ``discretionary_outflows``, a channel's ``principal_due`` and
  ``interest_due``) have length ``horizon_days``; a channel may leave its debt-service arrays empty (= zeros).
* The constructors accept lists or numpy arrays and store read-only float64 arrays; they validate what they can
  and raise ``ValueError`` with a message a treasurer understands.
* Rating ranks are on the master scale, 0 = AAA ... 21 = D: a *higher* rank is a *worse* rating.
"""

from .channels import ChannelInput, TriggerInput
from .plan import PlanInput, PoolInput, StepInput
from .scenario import DrillInputs, ScenarioInput, ShockInput, iter_channels_matching
from .vocabulary import (
    CHANNEL_STATUSES,
    CHANNEL_TYPES,
    DAY_COUNT_BASIS,
    DRILL_KINDS,
    LENDER_ACTIONS,
    NON_REVOLVING_TYPES,
    OPEN_STATUSES,
    PLAN_TRIGGERS,
    PLATFORM_TYPES,
    POOL_KINDS,
    RANK_C,
    SHOCK_ACTIONS,
    SHOCK_TARGETS,
    STEP_ACTIONS,
    TRIGGER_KINDS,
)

__all__ = [
    "CHANNEL_STATUSES",
    "CHANNEL_TYPES",
    "ChannelInput",
    "DAY_COUNT_BASIS",
    "DRILL_KINDS",
    "DrillInputs",
    "LENDER_ACTIONS",
    "NON_REVOLVING_TYPES",
    "OPEN_STATUSES",
    "PLAN_TRIGGERS",
    "PLATFORM_TYPES",
    "POOL_KINDS",
    "PlanInput",
    "PoolInput",
    "RANK_C",
    "SHOCK_ACTIONS",
    "SHOCK_TARGETS",
    "STEP_ACTIONS",
    "ScenarioInput",
    "ShockInput",
    "StepInput",
    "TRIGGER_KINDS",
    "TriggerInput",
    "iter_channels_matching",
]
