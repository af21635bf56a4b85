"""How much work a search is before it starts: its candidates, its rounds and its fits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from backend.spec import ExperimentSpec, SpecError, parse_space


@dataclass(frozen=True)
class SearchPlan:
    """How much work a search is, before it starts.

    ``rounds`` lists ``(candidates, rows)`` per round: one round for grid and random search, several
    for halving. ``n_fits`` counts every fit: candidates × folds in each round, plus the final refit.
    """

    mode: str
    n_candidates: int
    n_folds: int
    rounds: tuple[tuple[int, int], ...]
    n_fits: int


def plan_search(spec: ExperimentSpec, n_rows: int, n_classes: int | None = None) -> SearchPlan:
    """The candidates, rounds and fits ``spec``'s search makes on ``n_rows`` rows with a target.

    Parameters
    ----------
    n_classes : int, optional
        The classes of a classification target; halving search keeps enough rows for every class.

    Raises
    ------
    SpecError
        When the spec's search section is not valid, or has no search.
    """
    search = spec.search
    if search.mode == "none":
        raise SpecError(
            "search.mode = 'none': this spec trains without a search; choose grid, random or halving"
        )
    spec.validate()
    dims = parse_space(search.space)
    grid = None if any(d.is_range for d in dims) else math.prod(len(d.values) for d in dims)
    if search.mode == "grid":
        n_candidates = int(grid)
    else:
        n_candidates = search.n_candidates if grid is None else min(search.n_candidates, grid)
    folds = search.folds
    if search.mode != "halving":
        rounds = ((n_candidates, n_rows),)
    else:
        rounds = _halving_rounds(n_candidates, n_rows, folds, search.halving_factor, n_classes)
    n_fits = sum(candidates for candidates, _ in rounds) * folds + 1
    return SearchPlan(search.mode, n_candidates, folds, rounds, n_fits)


def _halving_rounds(
    n_candidates: int, n_rows: int, folds: int, factor: int, n_classes: int | None
) -> tuple[tuple[int, int], ...]:
    """Rounds of scikit-learn's successive halving on rows, with ``min_resources='exhaust'``."""
    smallest = 2 * folds * (n_classes or 1)
    required = 1 + math.floor(math.log(n_candidates, factor))
    least = max(smallest, n_rows // factor ** (required - 1))
    possible = 1 + math.floor(math.log(max(1, n_rows // least), factor))
    rounds, candidates = [], n_candidates
    for i in range(min(possible, required)):
        rounds.append((candidates, min(int(factor**i * least), n_rows)))
        candidates = math.ceil(candidates / factor)
    return tuple(rounds)
