"""Running a drill: blocks of paths, one process or many, combined exactly."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import fields
from typing import Any

import numpy as np

from .extra import (
    BLOCK_ROUNDS,
    MAX_BATCH,
    REFINE_CACHE_BYTES,
    Brackets,
    block_brackets,
    draw_bytes,
    gather,
    narrow,
    subset,
)
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


def _settle(
    accumulator: DrillAccumulator,
    inputs: DrillInputs,
    model: Model | None = None,
    *,
    cache_bytes: int = REFINE_CACHE_BYTES,
) -> None:
    """Refine the extra-liquidity search where the drill's figure needs it, re-simulating only those paths.

    The draws of the paths being refined are regenerated from their blocks' seeds (:func:`.randomness.draw_block`
    is deterministic per block). While those paths' draws take at most ``cache_bytes`` they are regenerated once and
    kept for the following rounds (the set only shrinks from round to round); beyond that, every round streams the
    blocks one at a time and simulates the paths in batches of at most ``MAX_BATCH`` paths x amounts, so memory holds
    one block and one batch whatever the number of paths. Either way every path is narrowed with the same amounts
    and window, and its trials depend only on its own bracket: the figure is the same to the cent.
    """
    layout = dict(block_layout(inputs))
    policy_days = inputs.scenario.policy_days
    prepared: list[Model] = [model] if model is not None else []
    names = [f.name for f in fields(Brackets)]
    cache: list[tuple[np.ndarray, Draws]] = []  # (keys sorted, their draws) while they fit in cache_bytes

    def regenerated(wanted: np.ndarray) -> Iterator[Draws]:
        """The draws of the paths ``wanted`` (sorted keys block << 32 | path), one block's paths at a time."""
        blocks, rows = wanted >> 32, wanted & 0xFFFFFFFF
        starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]]) if wanted.size else wanted
        for first, end in zip(starts, [*starts[1:], wanted.size], strict=True):
            index = int(blocks[first])
            yield subset(draw_block(inputs, index, layout[index]), rows[first:end])  # the whole block freed at once

    def batches(keys: np.ndarray, step: int) -> Iterator[tuple[np.ndarray, Draws, np.ndarray]]:
        """(indices into ``keys``, draws, those keys' rows in the draws), at most ``step`` paths at a time."""
        if cache and np.isin(keys, cache[0][0]).all():
            known, draws = cache[0]
        else:
            cache.clear()
            wanted = np.unique(keys)
            path_bytes = draw_bytes(draw_block(inputs, 0, 1))  # one path's draws (the same shapes in every block)
            if wanted.size * path_bytes <= cache_bytes:
                cache.append((wanted, gather(regenerated(wanted), wanted.size)))
                known, draws = cache[0]
            else:  # too many to hold: stream the blocks, batch the paths in block order
                yield from streamed(keys, wanted, step)
                return
        for first in range(0, keys.size, step):
            chunk = np.arange(first, min(first + step, keys.size))
            yield chunk, draws, np.searchsorted(known, keys[chunk])  # narrow takes just those rows: no copy

    def streamed(keys: np.ndarray, wanted: np.ndarray, step: int) -> Iterator[tuple[np.ndarray, Draws, np.ndarray]]:
        order = np.argsort(keys, kind="stable")  # positions of the keys in block order (each key once: unique)
        pending: list[Draws] = []
        count = done = 0
        for part in regenerated(wanted):
            taken = 0
            while taken < part.n_paths:
                piece = min(step - count, part.n_paths - taken)
                pending.append(subset(part, np.arange(taken, taken + piece)))
                taken += piece
                count += piece
                if count == step:
                    yield order[done : done + count], gather(iter(pending), count), np.arange(count)
                    pending, done, count = [], done + count, 0
        if count:
            yield order[done : done + count], gather(iter(pending), count), np.arange(count)

    def refine(positions: np.ndarray, amounts: int, window: tuple[int, int]) -> None:
        if not prepared:
            prepared.append(prepare(inputs))
        candidates = accumulator.extra_parts[0]
        keys = (candidates.block[positions] << 32) | candidates.row[positions]
        # Each path's amounts depend only on its own bracket, the window and ``amounts``: the batches change nothing.
        for chunk, draws, rows in batches(keys, max(1, MAX_BATCH // amounts)):
            at = positions[chunk]
            state = Brackets(*(getattr(candidates.brackets, n)[at] for n in names))
            narrow(prepared[0], draws, rows, state, policy_days, rounds=1, amounts=amounts, window=window)
            for n in names:
                getattr(candidates.brackets, n)[at] = getattr(state, n)

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
