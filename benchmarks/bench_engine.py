"""Drill engine benchmark: speed (10,000 paths x 365 days x 50 channels), speed-up over the per-path reference
loop, and peak memory as paths grow.

    .venv/bin/python benchmarks/bench_engine.py            # everything (the 1,000,000-path memory run takes a while)
    .venv/bin/python benchmarks/bench_engine.py --quick    # speed only, memory up to 100,000 paths

Prints a Markdown table for docs/benchmarks.md ("## Drill engine").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contingency.engine import channel_impact, run  # noqa: E402
from contingency.engine import inputs as ei  # noqa: E402
from contingency.engine.model import prepare  # noqa: E402
from contingency.engine.randomness import draw_block  # noqa: E402
from contingency.engine.simulate import simulate_paths  # noqa: E402
from tests.contingency.engine.reference import simulate_paths_reference  # noqa: E402  (the test oracle)

HORIZON = 365
CHANNELS = 50


def company(paths: int, *, block_size: int = 5000, every_trigger: bool = False) -> ei.DrillInputs:
    """A mid-sized borrower: 50 channels of every type, monthly debt service, platform utilisation triggers,
    own-rating triggers on bank lines, a four-step plan; a combined market-wide and idiosyncratic stress.

    ``every_trigger``: every kind of lender trigger in use besides (unused lines cut, cross-default, borrowing
    frequency, inflow drop), forecast inflows, and a company downgrade shock mid-horizon."""
    rng = np.random.default_rng(2024)
    channels = []
    for j in range(CHANNELS):
        channel_type = ei.CHANNEL_TYPES[j % len(ei.CHANNEL_TYPES)]
        limit = float(rng.uniform(2e6, 2e7))
        drawn = float(rng.uniform(0.3, 0.9) * limit)
        principal = np.zeros(HORIZON)
        interest = np.zeros(HORIZON)
        monthly = np.arange(int(rng.integers(0, 30)), HORIZON, 30)
        interest[monthly] = drawn * 0.05 / 12
        if channel_type in ("bank_term_loan", "leasing", "shareholder_loan"):
            principal[monthly] = drawn / 36
        elif channel_type in ("revolving_credit", "supply_chain_finance", "small_loan_platform"):
            principal[monthly[::3]] = drawn / 4  # quarterly tranches that roll while the line is open
        triggers = []
        if channel_type == "small_loan_platform":
            triggers.append(
                ei.TriggerInput(kind="utilisation_above", level=0.9, days=5, action="reduce", reduce_by=0.5)
            )
        if channel_type in ("bank_term_loan", "revolving_credit"):
            triggers.append(ei.TriggerInput(kind="own_rating_below", rating_rank=11, action="freeze", freeze_days=30))
        if every_trigger:
            triggers += [
                ei.TriggerInput(kind="any_overdue", grace_days=3, action="call"),
                ei.TriggerInput(kind="utilisation_below", level=0.05, days=60, action="reduce", reduce_by=0.5),
            ]
            if channel_type in ("small_loan_platform", "supply_chain_finance", "other"):
                triggers.append(ei.TriggerInput(kind="borrowing_frequency", count=8, window_days=30, action="close"))
            if channel_type in ("revolving_credit", "small_loan_platform"):
                triggers.append(
                    ei.TriggerInput(kind="inflow_drop", level=0.8, days=30, action="freeze", freeze_days=20)
                )
        channels.append(
            ei.ChannelInput(
                key=f"ch{j}",
                name=f"Channel {j}",
                channel_type=channel_type,
                committed=channel_type in ("bank_term_loan", "revolving_credit", "bond"),
                status="active",
                limit=limit,
                drawn=drawn,
                annual_rate=float(rng.uniform(0.02, 0.15)),
                rolls_over=channel_type in ("revolving_credit", "supply_chain_finance", "small_loan_platform"),
                notice_days=int(rng.choice([0, 7, 30, 90])),
                maturity_day=int(rng.integers(60, 800)),
                principal_due=principal,
                interest_due=interest,
                counterparty_key=f"cp{j % 20}",
                counterparty_pd_1y=float(rng.choice([0.0006, 0.0018, 0.0072, 0.0376])),
                triggers=tuple(triggers),
            )
        )
    pools = (
        ei.PoolInput(key="mmf", kind="money_market_fund", amount=3e7, haircut=0.02, days_to_cash=2),
        ei.PoolInput(key="recv", kind="receivables", amount=5e7, haircut=0.15, days_to_cash=10),
        ei.PoolInput(key="standby", kind="backup_line", amount=4e7, days_to_cash=5, channel_key="ch1"),
        ei.PoolInput(key="parent", kind="shareholder_support", amount=1e8, days_to_cash=30),
    )
    plan = ei.PlanInput(
        trigger="on_shock",
        steps=(
            ei.StepInput(order=1, action="liquidate_pool", pool_key="mmf", cost_rate=0.001, success_probability=0.98),
            ei.StepInput(order=2, action="cut_discretionary", amount=2e7, lead_time_days=7, success_probability=0.9),
            ei.StepInput(order=3, action="draw_backup_line", pool_key="standby", success_probability=0.85),
            ei.StepInput(
                order=4, action="factor_receivables", pool_key="recv", cost_rate=0.03, success_probability=0.8
            ),
            ei.StepInput(order=5, action="shareholder_support", pool_key="parent", success_probability=0.6),
        ),
    )
    flows = rng.normal(-1.0e6, 2e5, HORIZON)
    flows[::30] += 3.4e7  # monthly collections
    inflows = np.zeros(HORIZON)
    inflows[::30] = 3.4e7
    extra = {}
    if every_trigger:
        extra = {
            "operating_inflows": inflows,
            "shocks": (ei.ShockInput(target_type="company", action="downgrade", notches=2, day=120),),
        }
    scenario = ei.ScenarioInput(
        horizon_days=HORIZON,
        opening_cash=4e7,
        operating_flows=flows,
        discretionary_outflows=np.full(HORIZON, 2e5),
        min_cash_buffer=5e6,
        own_rating_rank=9,
        own_downgrade_notches=3,
        market_stress=0.5,
        kind="monte_carlo",
        paths=paths,
        seed=42,
        hazard_multiplier=1.0,
        operating_volatility=0.1,
        block_size=block_size,
        **extra,
    )
    return ei.DrillInputs(scenario, tuple(channels), pools, plan)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "os": platform.platform(),
    }


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_rss_mb(paths: int, workers: int) -> tuple[float, float, float]:
    """Peak RSS (MB) of a fresh process running the whole drill (the parent, which folds the blocks, and the
    largest of its worker processes), and its wall time."""
    code = (
        "import json, resource, sys, time; sys.path.insert(0, 'benchmarks'); sys.path.insert(0, '.');"
        "from bench_engine import company; from contingency.engine import run;"
        f"t = time.perf_counter(); run(company({paths}), workers={workers}, with_channel_impact=False,"
        " with_extra_liquidity=True);"
        "t = time.perf_counter() - t;"
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would report this benchmark's own peak.
        "own = int([r for r in open('/proc/self/status') if r.startswith('VmHWM')][0].split()[1]);"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps([own / 1024, kids / 1024, t]))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    own, kids, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    return own, kids, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000,000-path memory run")
    parser.add_argument("--reference-paths", type=int, default=20)
    args = parser.parse_args()

    info = machine()
    print(f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, numpy {info['numpy']}")
    print(f"Load average before the run (other work on the machine): {os.getloadavg()[0]:.1f}")
    inputs = company(10_000)
    run(company(2_048), with_channel_impact=False)  # warm caches (grids, imports)

    plain = {"with_channel_impact": False, "with_extra_liquidity": False}
    searched = {"with_channel_impact": False, "with_extra_liquidity": True}
    one = best_of(3, lambda: run(inputs, workers=1, **plain))
    two = best_of(3, lambda: run(inputs, workers=2, **plain))
    one_x = best_of(3, lambda: run(inputs, workers=1, **searched))
    two_x = best_of(3, lambda: run(inputs, workers=2, **searched))
    found = run(inputs, **searched)
    impact = best_of(3, lambda: channel_impact(inputs))
    every = company(10_000, every_trigger=True)
    all_one = best_of(3, lambda: run(every, workers=1, **plain))
    all_two = best_of(3, lambda: run(every, workers=2, **plain))
    fired = run(every, **plain)
    print(
        f"every trigger kind in use: 1 process {all_one:.2f} s, 2 processes {all_two:.2f} s"
        f" ({len(fired.lender_actions)} sources of lender actions acted)"
    )
    print(f"10,000 paths x {HORIZON} days x {CHANNELS} channels: 1 process {one:.2f} s, 2 processes {two:.2f} s")
    print(
        f"with the extra-liquidity search: 1 process {one_x:.2f} s ({one_x / one:.1f}x), 2 processes {two_x:.2f} s"
        f" ({two_x / two:.1f}x); {found.policy['breach_paths']:,} paths breach the buffer, extra liquidity"
        f" {found.extra_liquidity_needed:,.2f}"
    )
    print(f"channel_impact (51 deterministic reruns, one batch): {impact:.2f} s")

    # Same model, same draws, one path at a time in plain Python, on a subset of paths; extrapolated.
    n_ref = args.reference_paths
    model = prepare(inputs)
    draws = draw_block(inputs, 0, n_ref)
    ref = best_of(1, lambda: simulate_paths_reference(inputs, draws))
    vec = best_of(3, lambda: simulate_paths(model, draws))
    ref_10k = ref / n_ref * 10_000
    print(
        f"reference loop: {ref:.2f} s for {n_ref} paths -> {ref_10k:.0f} s extrapolated to 10,000 paths; "
        f"speed-up {ref_10k / one:.0f}x (1 process), {ref_10k / two:.0f}x (2 processes)"
    )

    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    memory = []
    for n in sizes:
        own, kids, seconds = peak_rss_mb(n, workers=2)
        memory.append((n, own, kids, seconds))
        print(f"{n:>9,} paths: peak RSS {own:.0f} MB (parent), {kids:.0f} MB (largest worker); {seconds:.1f} s")

    print(f"Load average after the run: {os.getloadavg()[0]:.1f}")
    print("\nMarkdown:\n")
    print("| what | result |\n|---|---|")
    print(f"| 10,000 paths x 365 days x 50 channels, 1 process | {one:.2f} s |")
    print(f"| same, 2 processes | {two:.2f} s |")
    print(f"| same with the extra-liquidity search, 1 process | {one_x:.2f} s ({one_x / one:.1f}x) |")
    print(f"| same with the extra-liquidity search, 2 processes | {two_x:.2f} s ({two_x / two:.1f}x) |")
    print(f"| reference per-path loop ({n_ref} paths, extrapolated to 10,000) | {ref_10k:.0f} s |")
    print(f"| speed-up over the reference loop | {ref_10k / one:.0f}x (1 process), {ref_10k / two:.0f}x (2) |")
    print(f"| vectorised engine on the same {n_ref} paths | {vec * 1000:.0f} ms |")
    print(f"| channel_impact (51 deterministic reruns in one batch) | {impact:.2f} s |")
    print(f"| every trigger kind in use (same company), 1 process | {all_one:.2f} s |")
    print(f"| every trigger kind in use, 2 processes | {all_two:.2f} s |")
    for n, own, kids, seconds in memory:
        print(
            f"| {n:,} paths, 2 processes: peak RSS parent / largest worker, wall time | {own:.0f} MB / {kids:.0f} MB,"
            f" {seconds:.1f} s |"
        )


if __name__ == "__main__":
    main()
