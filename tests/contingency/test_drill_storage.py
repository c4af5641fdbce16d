"""Drill blocks at scale: stored compactly, folded one at a time, emptied once the run is finished.

The finishing process streams the blocks from PostgreSQL and keeps only fixed-size sketches and the few
extra-liquidity brackets that can decide the figure, so its memory does not grow with the number of blocks.
"""

import dataclasses
import json
import tracemalloc
from decimal import Decimal

import numpy as np
import pytest

from contingency import drills, engine
from contingency.engine import (
    ChannelInput,
    DrillInputs,
    ScenarioInput,
    block_layout,
    combine,
    run,
    simulate_block,
)
from contingency.engine.blocks import BlockResult
from contingency.engine.results import DrillAccumulator
from contingency.engine.runner import _settle
from contingency.models import DrillBlock, DrillRun
from tests.contingency.drill_fixtures import monte_carlo_scenario, worked_example


def lenders_walk_away(
    paths: int, *, block_size: int = 500, horizon: int = 60, daily: float = -40_000.0, target: float = 0.95
) -> DrillInputs:
    """Two half-drawn lines that lenders close at random while the company pays 40,000 a day: about half the paths
    breach the 100,000 buffer, each needing its own amount of extra day-0 cash."""
    channels = tuple(
        ChannelInput(key=f"c{i}", name=f"Line {i}", channel_type=kind, committed=False, status="active",
                     limit=1_500_000, drawn=600_000, annual_rate=0.05 + 0.01 * i, action_probability=0.5,
                     rolls_over=True)
        for i, kind in enumerate(("small_loan_platform", "other"))
    )  # fmt: skip
    scenario = ScenarioInput(
        horizon_days=horizon, opening_cash=400_000, operating_flows=np.full(horizon, daily),
        min_cash_buffer=100_000, kind="monte_carlo", paths=paths, seed=3, block_size=block_size,
        target_survival_probability=target, mc_action_kind="close", operating_volatility=0.2,
        policy_horizon_days=horizon,
    )  # fmt: skip
    return DrillInputs(scenario, channels, (), None)


def test_a_stored_block_reads_back_bit_for_bit_at_a_fraction_of_its_json():
    inputs = lenders_walk_away(500)
    block = simulate_block(inputs, 0)
    assert block.extra_rows.size > 100  # breaching paths with their brackets are part of what is stored
    stored = block.to_bytes()
    again = BlockResult.from_bytes(stored)
    for f in dataclasses.fields(BlockResult):
        mine, theirs = getattr(block, f.name), getattr(again, f.name)
        if isinstance(mine, np.ndarray):
            assert theirs.dtype == mine.dtype and theirs.tobytes() == mine.tobytes(), f.name
        else:
            assert theirs == mine, f.name
    assert len(stored) * 3 < len(json.dumps(block.to_dict()))
    with pytest.raises(ValueError, match="format"):
        BlockResult.from_bytes(b"{}" + stored)


def test_brackets_that_cannot_decide_the_extra_liquidity_are_dropped_and_the_figure_stays_to_the_cent():
    inputs = lenders_walk_away(6000)
    blocks = [simulate_block(inputs, index) for index, _ in block_layout(inputs)]
    bounded = DrillAccumulator.for_inputs(inputs)
    everything = DrillAccumulator(horizon=bounded.horizon, step_orders=bounded.step_orders)  # keeps every bracket
    for block in blocks:
        bounded.add(block)
        everything.add(block)
    breaching = sum(block.extra_rows.size for block in blocks)
    # m = n - ceil(0.95 n) + 1 = 301: the figure is the 301st largest need; most brackets lie wholly below it.
    assert bounded.extra_rank == 301 and breaching > 2000
    assert bounded.extra_kept < breaching / 2 and bounded.extra_kept + bounded.extra_dropped == breaching
    _settle(bounded, inputs)
    _settle(everything, inputs)
    assert bounded.extra_cents == everything.extra_cents > 0
    # D16 on the very same paths: with the figure the policy is met, with one cent less it is not.
    extra = bounded.extra_cents / 100

    def kept_share(more: float) -> float:
        again = inputs.replace_scenario(opening_cash=inputs.scenario.opening_cash + more)
        return run(again, with_channel_impact=False, with_extra_liquidity=False).policy["probability"]

    assert kept_share(extra) >= 0.95 > kept_share(extra - 0.01)
    assert combine(reversed(blocks), inputs, with_channel_impact=False).extra_liquidity_needed == extra


def settling_peak(inputs: DrillInputs, **budget) -> tuple[int, int | None]:
    """Peak bytes allocated while D16's refinement settles a folded drill, and the figure (cents)."""
    accumulator = DrillAccumulator.for_inputs(inputs)
    for index, _ in block_layout(inputs):
        accumulator.add(simulate_block(inputs, index))
    tracemalloc.start()
    try:
        _settle(accumulator, inputs, **budget)
        return tracemalloc.get_traced_memory()[1], accumulator.extra_cents
    finally:
        tracemalloc.stop()


def test_the_refinement_memory_does_not_grow_with_the_paths_it_refines():
    # A 365-day horizon with operating noise: each path's draws take about 3 KB, so holding them shows.
    def drill(paths: int) -> DrillInputs:
        return lenders_walk_away(paths, horizon=365, daily=-6_600.0, target=0.9)

    small, large = drill(4_000), drill(16_000)
    settling_peak(drill(500), cache_bytes=0)  # warm caches (grids, imports)
    # Nothing kept from round to round: the draws are regenerated block by block and simulated in bounded batches.
    peak_small, cents_small = settling_peak(small, cache_bytes=0)
    peak_large, cents_large = settling_peak(large, cache_bytes=0)
    # Kept from round to round (what the refinement did for every drill before): the same figures to the cent.
    held_small, cached_small = settling_peak(small, cache_bytes=2**40)
    held_large, cached_large = settling_peak(large, cache_bytes=2**40)
    assert (cents_small, cents_large) == (cached_small, cached_large) and min(cents_small, cents_large) > 0
    # Four times the paths and the candidates (both enough to fill the refinement's batch of MAX_BATCH paths x
    # amounts): holding the draws grows the peak by their size; streaming them, the peak grows by a small fraction
    # of that (the candidates' brackets and indices, tens of bytes a path).
    assert held_large - held_small > 1_000_000, (held_small, held_large)
    assert peak_large - peak_small < (held_large - held_small) / 10, (peak_small, peak_large, held_small, held_large)
    print(f"refinement peak: {peak_small:,} / {peak_large:,} bytes streamed, {held_small:,} / {held_large:,} held")


# -- on PostgreSQL ------------------------------------------------------------------------------------------------


def stored_run(company, analyst, settings, *, paths: int, block_size: int) -> DrillRun:
    """A Monte Carlo run of the worked example whose blocks were all simulated and stored, ready to finish."""
    settings.DRILL_BLOCK_SIZE = block_size
    settings.DRILL_LARGE_RUNS_PER_COMPANY = 10  # several stored runs of the company wait to be finished at once
    scenario = monte_carlo_scenario(company, paths=paths, name=f"MC {paths}", horizon_days=40)
    run_row = drills.drill_start(company=company, scenario=scenario, by=analyst, enqueue=False)
    assert drills.claim(run_row.pk) is not None
    for index in range(run_row.blocks_total):
        assert drills.block_execute(run_row.pk, index)
    return run_row


def finishing_peak(run_row: DrillRun) -> int:
    """Peak bytes allocated by Python and numpy while drill_finish combines the run."""
    tracemalloc.start()
    try:
        assert drills.drill_finish(run_row.pk)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def held_in_memory(run_row: DrillRun) -> int:
    """Bytes taken by every block of the run decoded and held at once (what drill_finish did before streaming)."""
    payloads = list(DrillBlock.objects.filter(run=run_row).values_list("payload", flat=True))
    tracemalloc.start()
    try:
        held = [BlockResult.from_bytes(payload) for payload in payloads]
        size = tracemalloc.get_traced_memory()[0]
        del held
        return size
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_the_finishing_process_memory_does_not_grow_with_the_number_of_blocks(company, analyst, settings):
    worked_example(company)
    # D16's figure is then the m-th largest need with m = n - ceil(0.999 n) + 1 (1 and 4 paths here): the few
    # brackets and draws the search must hold grow with m, not with the blocks (see DrillAccumulator._prune_extra).
    company.target_survival_probability = Decimal("0.999")
    company.save()
    small = stored_run(company, analyst, settings, paths=8 * 100, block_size=100)
    large = stored_run(company, analyst, settings, paths=32 * 100, block_size=100)
    assert (small.blocks_total, large.blocks_total) == (8, 32)
    holding_24_more = held_in_memory(large) - held_in_memory(small)
    finishing_peak(stored_run(company, analyst, settings, paths=200, block_size=100))  # warm caches (grids, imports)
    peak_small, peak_large = finishing_peak(small), finishing_peak(large)
    # Four times the blocks: the peak grows by less than a fifth of what holding the 24 more blocks would take (and
    # by under 1 % of the peak, which is the fixed-size sketches).
    assert peak_large - peak_small < min(holding_24_more / 5, peak_small / 100), (peak_small, peak_large)
    large.refresh_from_db()
    assert large.status == "succeeded" and large.results["extra_liquidity_needed"] > 0
    print(f"finishing peak: {peak_small:,} bytes with 8 blocks, {peak_large:,} with 32 (holding 24 more blocks:"
          f" {holding_24_more:,})")  # fmt: skip


@pytest.mark.django_db
def test_a_finished_run_keeps_its_block_rows_without_their_numbers_and_late_tasks_change_nothing(
    company, analyst, settings
):
    worked_example(company)
    run_row = stored_run(company, analyst, settings, paths=300, block_size=100)
    assert all(DrillBlock.objects.filter(run=run_row).values_list("payload", flat=True))
    assert drills.drill_finish(run_row.pk)
    finished = DrillRun.objects.get(pk=run_row.pk)
    expected = json.loads(json.dumps(run(DrillInputs.from_dict(finished.snapshot)).to_dict(), default=float))
    assert finished.results == expected
    rows = list(DrillBlock.objects.filter(run=run_row).values_list("index", "payload", "result", "worker"))
    assert [(index, payload, result) for index, payload, result, _ in rows] == [(i, None, None) for i in range(3)]
    assert all(worker for *_, worker in rows)
    # A redelivered block or finishing task of the finished run stores nothing and changes nothing.
    assert not drills.block_execute(run_row.pk, 1)
    assert not drills.drill_finish(run_row.pk)
    assert DrillRun.objects.get(pk=run_row.pk).results == expected


@pytest.mark.django_db
def test_a_finish_that_finds_the_blocks_emptied_by_another_finish_leaves_the_run_alone(company, analyst, settings):
    worked_example(company)
    run_row = stored_run(company, analyst, settings, paths=300, block_size=100)
    DrillBlock.objects.filter(run=run_row, index=2).update(payload=None)  # as another finish does once it won
    assert not drills.drill_finish(run_row.pk)
    assert DrillRun.objects.get(pk=run_row.pk).status == "running"


@pytest.mark.django_db
def test_blocks_stored_as_json_by_an_older_version_still_finish_to_the_same_numbers(company, analyst, settings):
    worked_example(company)
    run_row = stored_run(company, analyst, settings, paths=300, block_size=100)
    for block in DrillBlock.objects.filter(run=run_row):
        legacy = BlockResult.from_bytes(block.payload).to_dict()
        DrillBlock.objects.filter(pk=block.pk).update(payload=None, result=json.loads(json.dumps(legacy)))
    assert drills.drill_finish(run_row.pk)
    finished = DrillRun.objects.get(pk=run_row.pk)
    inputs = DrillInputs.from_dict(finished.snapshot)
    assert finished.results == json.loads(json.dumps(engine.run(inputs).to_dict(), default=float))
