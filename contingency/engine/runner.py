"""Running a drill: blocks of paths, one process or many, combined exactly."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import fields
from typing import Any

import numpy as np

from .extra import BLOCK_ROUNDS, Brackets, block_brackets, gather, refine_batch, subset
from .impact import channel_impact
from .inputs import DrillInputs
from .model import Model, prepare
from .randomness import Draws, draw_block
from .results import BlockResult, DrillAccumulator, DrillResult
from .simulate import simulate_paths

ProgressCallback = Callable[[int, int], None]


def block_layout(inputs: DrillInputs) -> list[tuple[int, int]]:
    """``(block_index, n_paths)`` of every block: ``block_size`` paths each, the last one takes the rest."""
    paths, size = inputs.scenario.paths, inputs.scenario.block_size
    return [(index, min(size, paths - start)) for index, start in enumerate(range(0, paths, size))]


def simulate_block(
    inputs: DrillInputs,
    block_index: int,
    n_paths_in_block: int | None = None,
    *,
    model: Model | None = None,
    with_extra_liquidity: bool = True,
) -> BlockResult:
    """Simulate block ``block_index`` of the drill. The result depends only on the inputs and the block index.

    ``n_paths_in_block`` must match :func:`block_layout` (it is checked, because the exact combination relies on
    every run cutting the paths the same way); ``model`` may pass a prepared model to skip re-preparing it.
    ``with_extra_liquidity`` also searches each breaching path's extra day-0 cash (:mod:`.extra`) on the same
    draws; without it the drill's ``extra_liquidity_needed`` is None.
    """
    layout = block_layout(inputs)
    if not 0 <= block_index < len(layout):
        raise ValueError(f"Block {block_index} does not exist; the drill has {len(layout)} blocks.")
    expected = layout[block_index][1]
    if n_paths_in_block is not None and n_paths_in_block != expected:
        raise ValueError(f"Block {block_index} has {expected} paths, not {n_paths_in_block}.")
    model = model if model is not None else prepare(inputs)
    draws = draw_block(inputs, block_index, expected)
    policy_days = inputs.scenario.policy_days
    outcomes = simulate_paths(model, draws, policy_days=policy_days)
    extra = None
    if with_extra_liquidity:  # one path is searched to the cent here; Monte Carlo blocks narrow, the finish refines
        rounds = None if inputs.scenario.paths == 1 else BLOCK_ROUNDS
        extra = block_brackets(model, draws, outcomes, policy_days, rounds=rounds)
    return BlockResult.from_outcomes(block_index, outcomes, extra)


def _settle(accumulator: DrillAccumulator, inputs: DrillInputs, model: Model | None = None) -> None:
    """Refine the extra-liquidity search where the drill's figure needs it, re-simulating only those paths."""
    layout = dict(block_layout(inputs))
    policy_days = inputs.scenario.policy_days
    prepared: list[Model] = [model] if model is not None else []
    names = [f.name for f in fields(Brackets)]

    # The draws of the paths being refined, keyed by block << 32 | path: regenerated from each block's seed once (one
    # block at a time) and cut down to those paths, in one flat set (the set only shrinks from round to round), so
    # memory holds a few paths, not whole blocks, and nothing per block.
    cache: list[tuple[np.ndarray, Draws]] = []

    def draws_of(keys: np.ndarray) -> Draws:
        if not cache or not np.isin(keys, cache[0][0]).all():
            wanted = np.unique(keys)
            blocks, rows = wanted >> 32, wanted & 0xFFFFFFFF
            parts = (
                subset(draw_block(inputs, int(index), layout[int(index)]), rows[blocks == index])
                for index in np.unique(blocks)
            )
            cache[:] = [(wanted, gather(parts, wanted.size))]
        known, draws = cache[0]
        if keys.size == known.size and np.array_equal(keys, known):
            return draws  # the very paths cached, in that order (the first round): no copy
        return subset(draws, np.searchsorted(known, keys))

    def refine(positions: np.ndarray, amounts: int, window: tuple[int, int]) -> None:
        if not prepared:
            prepared.append(prepare(inputs))
        candidates = accumulator.extra_parts[0]
        keys = (candidates.block[positions] << 32) | candidates.row[positions]
        state = Brackets(*(getattr(candidates.brackets, n)[positions] for n in names))
        refine_batch(prepared[0], draws_of(keys), state, policy_days, amounts, window)
        for n in names:
            getattr(candidates.brackets, n)[positions] = getattr(state, n)

    accumulator.settle_extra(inputs.scenario.target_survival_probability, refine)


def combine(
    block_results: Iterable[BlockResult | Mapping[str, Any]],
    inputs: DrillInputs,
    *,
    with_channel_impact: bool = True,
) -> DrillResult:
    """Combine the results of every block (in any order; dicts from ``BlockResult.to_dict`` are accepted).

    The iterable is consumed one block at a time, so a generator over database rows keeps memory flat.
    Raises ``ValueError`` when a block is missing or given twice.
    """
    accumulator = DrillAccumulator.for_inputs(inputs)
    for block in block_results:
        accumulator.add(block if isinstance(block, BlockResult) else BlockResult.from_dict(block))
    expected = {index for index, _ in block_layout(inputs)}
    if accumulator.blocks != expected:
        missing = sorted(expected - accumulator.blocks)
        extra = sorted(accumulator.blocks - expected)
        raise ValueError(f"Blocks do not match the drill: missing {missing[:10]}, unexpected {extra[:10]}.")
    _settle(accumulator, inputs)
    impact = channel_impact(inputs) if with_channel_impact and inputs.channels else None
    return accumulator.result(inputs, impact)


_worker_state: dict[str, Any] = {}


def _init_worker(inputs: DrillInputs, with_extra_liquidity: bool) -> None:
    _worker_state["inputs"] = inputs
    _worker_state["model"] = prepare(inputs)
    _worker_state["extra"] = with_extra_liquidity


def _run_block(block_index: int) -> BlockResult:
    return simulate_block(
        _worker_state["inputs"], block_index, model=_worker_state["model"], with_extra_liquidity=_worker_state["extra"]
    )


def run(
    inputs: DrillInputs,
    *,
    workers: int = 1,
    with_channel_impact: bool = True,
    with_extra_liquidity: bool = True,
    progress: ProgressCallback | None = None,
) -> DrillResult:
    """Run the whole drill here: all blocks, folded as they finish (memory stays flat as paths grow).

    ``workers`` > 1 spreads blocks over that many processes; the numbers are the same either way.
    ``progress(done_blocks, total_blocks)`` is called after each block. ``with_extra_liquidity=False`` skips the
    extra-liquidity search (``extra_liquidity_needed`` is then None).
    """
    layout = block_layout(inputs)
    total = len(layout)
    accumulator = DrillAccumulator.for_inputs(inputs)

    def fold(block: BlockResult) -> None:
        accumulator.add(block)
        if progress is not None:
            progress(len(accumulator.blocks), total)

    model: Model | None = None
    if workers <= 1 or total == 1:
        model = prepare(inputs)
        for index, n_paths in layout:
            fold(simulate_block(inputs, index, n_paths, model=model, with_extra_liquidity=with_extra_liquidity))
    else:
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(inputs, with_extra_liquidity)
        ) as pool:
            pending: set[Future[BlockResult]] = set()
            queue = iter(index for index, _ in layout)
            window = 2 * workers  # bounded: finished blocks are folded before more are started
            for index in queue:
                pending.add(pool.submit(_run_block, index))
                if len(pending) >= window:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        fold(future.result())
            for future in pending:
                fold(future.result())
    _settle(accumulator, inputs, model)
    impact = channel_impact(inputs) if with_channel_impact and inputs.channels else None
    return accumulator.result(inputs, impact)
