"""scikit-learn's searches made to report and to keep a budget: candidates numbered, a time limit between batches.

scikit-learn evaluates the candidates it is given all at once. :class:`Budget` hands them over in batches,
so that a time limit can stop a search between two batches and keep every finished candidate, and tags
each candidate with its number and round so that its fits can say which candidate they are.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (makes the halving search importable)
from sklearn.model_selection import GridSearchCV, HalvingRandomSearchCV, RandomizedSearchCV

from backend.evaluate.search_plan import SearchPlan
from backend.evaluate.search_space import SearchSpace, mapping_of, plain_value
from backend.evaluate.tracked import TrackedPipeline
from backend.spec import ExperimentSpec


class Budget:
    """Numbers each candidate, and enforces the time limit between batches of candidates.

    scikit-learn evaluates the candidates it is given all at once; handing them over in batches of
    ``batch_size`` lets a time limit stop the search between batches, keeping every finished candidate.
    """

    def __init__(
        self, time_limit: float, batch_size: int | None, params: dict[int, dict], names: dict[str, str]
    ):
        self.deadline = time.monotonic() + time_limit if time_limit else None
        self.batch_size = batch_size
        self.params = params
        self.names = names
        self.n_fits = 0  # candidate evaluations (each on every fold)
        self.stopped = False
        self._last: dict | None = None

    def wrap(self, evaluate: Callable[..., dict]) -> Callable[..., dict]:
        def evaluate_in_batches(
            candidate_params: Iterable[dict], cv: Any = None, more_results: Any = None, **_: Any
        ) -> dict:
            tagged = self._tag(list(candidate_params), more_results)
            size = self.batch_size or max(1, len(tagged))
            for start in range(0, len(tagged), size):
                if self._last is not None and self.deadline is not None and time.monotonic() >= self.deadline:
                    self.stopped = True
                    break
                batch = tagged[start : start + size]
                extra = (
                    None
                    if more_results is None
                    else {k: list(v)[start : start + size] for k, v in more_results.items()}
                )
                self._last = evaluate(batch, cv, extra)
                self.n_fits += len(batch)
            return self._last if self._last is not None else {}

        return evaluate_in_batches

    def _tag(self, candidates: list[dict], more_results: Any) -> list[dict]:
        iteration = int(more_results["iter"][0]) if more_results and len(more_results.get("iter", [])) else 0
        tagged = []
        for params in candidates:
            number = params.get("candidate")
            if number is None:
                number = len(self.params)
                self.params[number] = mapping_of(params, self.names)
            searched = {k: v for k, v in params.items() if k not in ("candidate", "iteration")}
            tagged.append({**searched, "candidate": int(number), "iteration": iteration})
        return tagged


class _Budgeted:
    """Routes a scikit-learn search's candidates through its ``budget`` (a :class:`Budget`)."""

    budget: Budget

    def _run_search(self, evaluate_candidates: Callable[..., dict], *, callback_ctx: Any = None) -> None:
        parent = super()._run_search  # type: ignore[misc]
        wrapped = self.budget.wrap(evaluate_candidates)
        if "callback_ctx" in inspect.signature(parent).parameters:
            parent(wrapped, callback_ctx=callback_ctx)
        else:
            parent(wrapped)


class _Grid(_Budgeted, GridSearchCV):
    pass


class _Random(_Budgeted, RandomizedSearchCV):
    pass


class _Halving(_Budgeted, HalvingRandomSearchCV):
    pass


def make_search(
    spec: ExperimentSpec, estimator: TrackedPipeline, space: SearchSpace, splits: list, plan: SearchPlan
) -> Any:
    search = spec.search
    prefixed = {f"pipeline__{k}": v for k, v in space.distributions().items()}
    common = {"cv": splits, "refit": True, "error_score": np.nan, "return_train_score": False}
    if search.mode == "grid":
        return _Grid(estimator, {f"pipeline__{k}": v for k, v in space.grid().items()}, **common)
    seed = spec.training.seed
    if search.mode == "random":
        return _Random(estimator, prefixed, n_iter=plan.n_candidates, random_state=seed, **common)
    return _Halving(
        estimator,
        prefixed,
        n_candidates=plan.n_candidates,
        factor=search.halving_factor,
        min_resources="exhaust",
        random_state=seed,
        **common,
    )


def cv_results_frame(cv_results: dict[str, Any], space: SearchSpace) -> pd.DataFrame:
    """``cv_results_`` as a frame with the spec's parameter names and JSON values, numbered by candidate."""
    names = {f"pipeline__{path}": name for path, name in space.names.items()}
    params = list(cv_results["params"])
    columns: dict[str, Any] = {"candidate": [int(p["candidate"]) for p in params]}
    for key, values in cv_results.items():
        if key in ("param_candidate", "param_iteration"):
            continue
        if key == "params":
            columns["params"] = [mapping_of(p, names) for p in params]
        elif key.startswith("param_"):
            mask = np.ma.getmaskarray(values)
            columns[f"param_{names.get(key[6:], key[6:])}"] = [
                None if masked else plain_value(v) for v, masked in zip(values, mask, strict=True)
            ]
        else:
            columns[key] = np.asarray(values)
    return pd.DataFrame(columns)
