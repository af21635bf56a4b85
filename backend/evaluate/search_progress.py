"""A search's progress, assembled in the caller's process from the messages of fits running anywhere.

Turns the messages :class:`~backend.evaluate.tracked.TrackedPipeline` sends into the events a caller
records (``epoch``, ``fit_start``, ``fit_end``, ``candidate_end``, ``progress``), and keeps what the
best candidate needs to be presented as a single run: its folds' scores, epochs and out-of-fold
predictions. Predictions are kept only for candidates still running and for the best finished ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from backend.evaluate.experiment import FINAL_FOLD

Report = Callable[[dict[str, Any]], None]
Key = tuple[int, int]  # (candidate, iteration)


class SearchProgress:
    """Consumes fit messages (one at a time) and reports events.

    Parameters
    ----------
    report : callable
        Receives each event dict.
    n_folds : int
        Folds per candidate: a candidate is finished when this many of its fits ended.
    total : int
        Fits the search plans, the final refit included (for ``progress`` events).
    row_labels : Index
        The data's index: message rows are positions in it.
    """

    def __init__(self, report: Report, n_folds: int, total: int, row_labels: pd.Index):
        self.report = report
        self.n_folds = n_folds
        self.total = total
        self.row_labels = row_labels
        self.params: dict[int, dict[str, Any]] = {}
        self.fits_ended = 0
        self.fits: dict[Key, dict[int, dict[str, Any]]] = {}
        self.histories: dict[tuple[int, int, int], list[dict[str, Any]]] = {}
        self._parts: dict[Key, dict[int, pd.DataFrame]] = {}
        self._best: tuple[int, float] = (-1, -math.inf)  # (iteration, mean score) of the kept candidates
        self._kept: dict[Key, dict[int, pd.DataFrame]] = {}

    # -- messages from fits ---------------------------------------------------------------------------

    def consume(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        key = (int(message["candidate"]), int(message["iteration"]))
        fold = int(message["fold"])
        where = {"candidate": key[0], "iteration": key[1], "fold": fold}
        if kind == "epoch":
            record = dict(message["record"])
            self.histories.setdefault((*key, fold), []).append(record)
            self.report({"kind": "epoch", **where, **record})
        elif kind == "fit_start":
            self.histories[(*key, fold)] = []
            params = self.params.get(key[0], {})
            self.report({"kind": "fit_start", **where, "params": params, "n_train": message["n_train"]})
            if fold == FINAL_FOLD:
                message_text = f"Refitting the best candidate ({key[0] + 1}) on all {message['n_train']} rows"
                self.report(
                    {
                        "kind": "progress",
                        "done": self.fits_ended,
                        "total": self.total,
                        "message": message_text,
                    }
                )
        elif kind == "fit_end" and fold != FINAL_FOLD:
            self._fit_end(key, fold, message, where)

    def _fit_end(self, key: Key, fold: int, message: dict[str, Any], where: dict[str, int]) -> None:
        self.fits_ended += 1
        error = message.get("error")
        fit = {
            "fold": fold,
            "score": float(message["score"]) if error is None else math.nan,
            "scores": message.get("scores", {}),
            "omitted": message.get("omitted", {}),
            "n_train": message.get("n_train"),
            "n_test": message.get("n_test"),
            "epochs": message.get("epochs", len(self.histories.get((*key, fold), []))),
            "fit_time": float(message.get("fit_time", 0.0)),
            "error": error,
        }
        self.fits.setdefault(key, {})[fold] = fit
        predictions = message.get("predictions")
        if predictions is not None:
            self._parts.setdefault(key, {})[fold] = predictions
        self.report({"kind": "fit_end", **where, "params": self.params.get(key[0], {}), **fit})
        self.report(
            {
                "kind": "progress",
                "done": self.fits_ended,
                "total": self.total,
                "message": f"Candidate {key[0] + 1}, fold {fold + 1} of {self.n_folds} done",
            }
        )
        if len(self.fits[key]) == self.n_folds:
            self._candidate_end(key)

    def _candidate_end(self, key: Key) -> None:
        fits = [self.fits[key][f] for f in sorted(self.fits[key])]
        scores = np.array([f["score"] for f in fits], dtype=float)
        mean = float(scores.mean()) if not np.isnan(scores).any() else math.nan
        std = float(scores.std()) if not math.isnan(mean) else math.nan
        self.report(
            {
                "kind": "candidate_end",
                "candidate": key[0],
                "iteration": key[1],
                "params": self.params.get(key[0], {}),
                "mean_score": mean,
                "std_score": std,
                "fold_scores": scores.tolist(),
                "fit_time": float(sum(f["fit_time"] for f in fits)),
                "errors": [f["error"] for f in fits if f["error"]],
            }
        )
        self._keep_if_best(key, -math.inf if math.isnan(mean) else mean)

    def _keep_if_best(self, key: Key, mean: float) -> None:
        """Keep the predictions of the best candidates of the latest round (ties kept alike, so that
        whichever the search ranks first can be shown)."""
        parts = self._parts.pop(key, {})
        rank = (key[1], mean)
        if rank > self._best:
            self._best, self._kept = rank, {key: parts}
        elif rank == self._best:
            self._kept[key] = parts

    # -- the best candidate ---------------------------------------------------------------------------

    def fold_scores(self, key: Key) -> pd.DataFrame:
        """One row per fold of candidate ``key``: ``fold``, ``n_train``, ``n_test``, ``epochs`` and metrics."""
        rows = [
            {
                "fold": f["fold"],
                "n_train": f["n_train"],
                "n_test": f["n_test"],
                "epochs": f["epochs"],
                **f["scores"],
            }
            for _, f in sorted(self.fits.get(key, {}).items())
        ]
        return pd.DataFrame(rows)

    def omitted(self, key: Key) -> dict[str, str]:
        found: dict[str, str] = {}
        for fold, fit in sorted(self.fits.get(key, {}).items()):
            for metric, reason in fit["omitted"].items():
                found.setdefault(metric, f"fold {fold}: {reason}")
        return found

    def oof(self, key: Key) -> pd.DataFrame:
        """Candidate ``key``'s out-of-fold predictions in row order (``row`` is the data's index label)."""
        parts = self._kept.get(key) or self._parts.get(key) or {}
        if not parts:
            return pd.DataFrame(columns=["row", "fold", "true", "predicted"])
        frames = []
        for fold, part in sorted(parts.items()):
            part = part.copy()
            part.insert(1, "fold", fold)
            frames.append(part)
        oof = pd.concat(frames, ignore_index=True).sort_values("row", kind="stable")
        oof["row"] = self.row_labels[oof["row"].to_numpy()]
        return oof.reset_index(drop=True)

    def histories_of(self, key: Key) -> dict[int, list[dict[str, Any]]]:
        """Fold -> epoch records of candidate ``key``, with its final refit as fold -1."""
        found = {fold: records for (c, i, fold), records in self.histories.items() if (c, i) == key}
        final = [
            records for (c, _, fold), records in self.histories.items() if c == key[0] and fold == FINAL_FOLD
        ]
        if final:
            found[FINAL_FOLD] = final[-1]
        return dict(sorted(found.items()))
