"""Inputs of the contingency plan: the liquidity pools its steps turn into cash, the steps, and the plan."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import InputRecord, _choice, _finite
from .vocabulary import PLAN_TRIGGERS, POOL_KINDS, STEP_ACTIONS


@dataclass(frozen=True)
class PoolInput(InputRecord):
    """Backup liquidity: an amount that a plan step can turn into cash (after ``haircut``, in ``days_to_cash``).

    For ``backup_line`` pools ``channel_key`` names the funding channel behind it: a plan step drawing it delivers
    nothing when that channel is shut (closed, called, matured) or frozen at delivery time.
    """

    key: str
    kind: str
    amount: float
    haircut: float = 0.0
    days_to_cash: int = 0
    channel_key: str | None = None

    def __post_init__(self) -> None:
        what = f"Pool {self.key!r}"
        if not self.key:
            raise ValueError("Every pool needs a non-empty key.")
        _choice(self.kind, POOL_KINDS, f"{what} kind")
        object.__setattr__(self, "amount", _finite(self.amount, f"{what} amount", low=0.0))
        object.__setattr__(self, "haircut", _finite(self.haircut, f"{what} haircut", low=0.0, high=1.0))
        object.__setattr__(self, "days_to_cash", int(self.days_to_cash))
        if self.days_to_cash < 0:
            raise ValueError(f"{what} days to cash cannot be negative.")


@dataclass(frozen=True)
class StepInput(InputRecord):
    """One ranked step of a contingency plan.

    ``amount`` is the step's capacity (gross, before haircut); None takes the pool's amount (and, for
    ``cut_discretionary`` without a pool, means "all discretionary outflows"). ``lead_time_days`` None takes the
    pool's ``days_to_cash`` (0 without a pool); ``haircut`` None takes the pool's haircut (0 without a pool).
    ``cost_rate`` prices what the step delivers: the cost is reported and paid out of it (cash receives
    delivered x (1 - cost_rate)).
    ``success_probability`` is used by Monte Carlo drills; deterministic drills count a step as working when
    it is above 0.
    """

    order: int
    action: str
    pool_key: str | None = None
    amount: float | None = None
    lead_time_days: int | None = None
    cost_rate: float = 0.0
    success_probability: float = 1.0
    haircut: float | None = None

    def __post_init__(self) -> None:
        what = f"Plan step {self.order}"
        object.__setattr__(self, "order", int(self.order))
        _choice(self.action, STEP_ACTIONS, f"{what} action")
        if self.amount is not None:
            object.__setattr__(self, "amount", _finite(self.amount, f"{what} amount", low=0.0))
        if self.lead_time_days is not None:
            object.__setattr__(self, "lead_time_days", int(self.lead_time_days))
            if self.lead_time_days < 0:
                raise ValueError(f"{what} lead time cannot be negative.")
        object.__setattr__(self, "cost_rate", _finite(self.cost_rate, f"{what} cost rate"))
        object.__setattr__(
            self,
            "success_probability",
            _finite(self.success_probability, f"{what} success probability", low=0.0, high=1.0),
        )
        if self.haircut is not None:
            object.__setattr__(self, "haircut", _finite(self.haircut, f"{what} haircut", low=0.0, high=1.0))


@dataclass(frozen=True)
class PlanInput(InputRecord):
    """A contingency plan: ``on_shock`` activates on the day of the first lender action (scenario shock,
    Monte Carlo action or fired trigger); ``below_threshold`` on the first day liquidity (cash + open headroom,
    after the day's draws) is below ``threshold``. Steps run in ``order``; step k delivers on activation day +
    its lead time."""

    trigger: str
    steps: tuple[StepInput, ...] = ()
    threshold: float = 0.0

    def __post_init__(self) -> None:
        _choice(self.trigger, PLAN_TRIGGERS, "Plan trigger")
        steps = tuple(s if isinstance(s, StepInput) else StepInput.from_dict(s) for s in self.steps)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "threshold", _finite(self.threshold, "Plan threshold"))
        orders = [s.order for s in steps]
        if len(set(orders)) != len(orders):
            raise ValueError("Two plan steps have the same order.")

    @property
    def ordered_steps(self) -> tuple[StepInput, ...]:
        return tuple(sorted(self.steps, key=lambda s: s.order))
