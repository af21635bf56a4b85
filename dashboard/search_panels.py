"""A search run on the Train and Results pages: the leaderboard, the current candidate's curve, the full
results table and the charts of parameters against score.

Scores in the store are negated when lower is better (scikit-learn ranks the greatest first); everything
shown here is the metric itself. Candidates are numbered from 1, as the progress messages number them.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from backend.evaluate.metrics import METRICS
from dashboard import charts, jobs, search_charts, services


def is_search(run: dict) -> bool:
    """Whether ``run`` is a hyperparameter search (its spec's search mode is not ``none``)."""
    return (run["spec"].get("search") or {}).get("mode", "none") != "none"


def outline(run: dict) -> dict[str, Any]:
    """What the search ranks by: ``metric``, ``greater_is_better``, ``names`` (searched parameters), and
    when finished the stored ``search`` result (best candidate, fits)."""
    store = services.store()
    found = dict(store.get_result(run["id"], "search") or {})
    started = store.events(run["id"], "search")
    if started:
        found = {**started[0]["payload"], **found}
    return found


def _label(metric: str) -> str:
    return METRICS.get(metric, (metric,))[0]


def _text(value: Any) -> Any:
    """A parameter value for a table cell: numbers as they are, lists and the rest as short text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value) if isinstance(value, list | dict) else str(value)
    return value


def leaderboard(run: dict) -> pd.DataFrame:
    """The candidates finished so far, best first: rank, candidate, parameters, mean, std, fit time, failures.

    Read from the ``candidate_end`` events, so a cancelled or failed search still shows what finished.
    A halving candidate counts with its last (largest) round.
    """
    info = outline(run)
    sign = 1.0 if info.get("greater_is_better", True) else -1.0
    metric = _label(info.get("metric", "score"))
    latest: dict[int, dict] = {}
    for event in services.store().events(run["id"], "candidate_end"):
        payload = event["payload"]
        latest[int(payload["candidate"])] = payload
    rows = []
    for candidate, payload in latest.items():
        mean, std = payload.get("mean_score"), payload.get("std_score")
        row = {"candidate": candidate + 1}
        row.update({name: _text(value) for name, value in (payload.get("params") or {}).items()})
        row[f"{metric} (mean)"] = None if mean is None else sign * mean
        row["± std"] = std
        row["fit time (s)"] = payload.get("fit_time")
        row["failed folds"] = len(payload.get("errors") or [])
        rows.append(row)
    if not rows:
        return pd.DataFrame()
    table = pd.DataFrame(rows)
    score = f"{metric} (mean)"
    table = table.sort_values(score, ascending=sign < 0, na_position="last", kind="stable")
    table.insert(0, "rank", range(1, len(table) + 1))
    return table.reset_index(drop=True)


def _current(run: dict) -> tuple[int, int, int, dict] | None:
    """The fit in progress: ``(candidate, iteration, fold, params)`` (fold -1: the refit), or None."""
    starts = services.store().events(run["id"], "fit_start")
    if not starts:
        return None
    last = starts[-1]["payload"]
    return int(last["candidate"]), int(last.get("iteration", 0)), int(last["fold"]), last.get("params") or {}


def _candidate_epochs(epochs: pd.DataFrame, candidate: int, iteration: int | None = None) -> pd.DataFrame:
    if epochs.empty or "candidate" not in epochs:
        return epochs.iloc[0:0]
    chosen = epochs["candidate"] == candidate
    if iteration is not None and "iteration" in epochs:
        chosen &= epochs["iteration"] == iteration
    return epochs.loc[chosen]


def _curves(run: dict, epochs: pd.DataFrame, title: str, key: str) -> None:
    labelled = jobs.part_labels(epochs, "cv")
    metrics = jobs.curve_metrics(labelled)
    for cell, metric in zip(st.columns(max(len(metrics), 1)), metrics, strict=False):
        cell.plotly_chart(
            charts.learning_curves(labelled, metric, by="part", title=f"{title}: {metric}"),
            width="stretch",
            key=f"{key}.{metric}",
        )


def live(run: dict, epochs: pd.DataFrame) -> None:
    """The Train page's view of a search: the leaderboard so far and the current candidate's curves."""
    info = outline(run)
    planned = info.get("n_candidates")
    board = leaderboard(run)
    finished = len(board)
    st.subheader("Leaderboard")
    if "n_candidates" not in info:
        st.caption("Preparing the search: checking the searched parameters against the pipeline…")
        return
    st.caption(
        f"{finished} of {planned} candidates finished, ranked by {_label(info.get('metric', 'score'))} "
        f"(mean ± std over {info.get('n_folds')} folds) · fits run on {info.get('compute')}."
    )
    if board.empty:
        st.caption("No candidate has finished all its folds yet.")
    else:
        st.dataframe(board, hide_index=True, width="stretch", key=f"leaderboard.{run['id']}")
    current = _current(run)
    if current is None or run["status"] not in jobs.ACTIVE:
        return
    candidate, iteration, fold, params = current
    shown = ", ".join(f"{k} = {_text(v)}" for k, v in params.items())
    mine = _candidate_epochs(epochs, candidate, iteration)
    if fold < 0:
        st.markdown(f"**Refitting the best candidate ({candidate + 1}) on every row** ({shown})")
        _curves(run, mine.loc[mine["fold"] < 0], "refit", f"live.{run['id']}")
        return
    st.markdown(f"**Now training candidate {candidate + 1}** ({shown}), fold {fold + 1}")
    _curves(run, mine.loc[mine["fold"] >= 0], f"candidate {candidate + 1}", f"live.{run['id']}")


def shown_epochs(run: dict, epochs: pd.DataFrame) -> pd.DataFrame:
    """The epochs the Results page charts: for a search, the best candidate's folds and the refit."""
    if not is_search(run) or epochs.empty or "candidate" not in epochs:
        return epochs
    best = outline(run).get("best_candidate")
    refit = epochs["fold"] < 0
    if best is None:
        return epochs.loc[refit]
    mine = _candidate_epochs(epochs, int(best))
    if "iteration" in mine and not mine.empty:
        mine = mine.loc[mine["iteration"] == mine["iteration"].max()]
    return pd.concat([mine, epochs.loc[refit]])


def results_table(run: dict) -> pd.DataFrame:
    """The stored ``cv_results`` as a table to read: one row per candidate (and halving round), best first."""
    records = services.store().get_result(run["id"], "cv_results") or []
    if not records:
        return pd.DataFrame()
    info = outline(run)
    sign = 1.0 if info.get("greater_is_better", True) else -1.0
    metric = _label(info.get("metric", "score"))
    raw = pd.DataFrame(records)
    table = pd.DataFrame({"rank": raw["rank_test_score"], "candidate": raw.get("candidate", raw.index) + 1})
    if "iter" in raw:
        table["round"] = raw["iter"] + 1
        table["rows"] = raw.get("n_resources")
    for column in [c for c in raw.columns if c.startswith("param_")]:
        table[column.removeprefix("param_")] = raw[column].map(_text)
    table[f"{metric} (mean)"] = sign * raw["mean_test_score"]
    table["± std"] = raw["std_test_score"]
    for column in sorted(c for c in raw.columns if c.startswith("split") and c.endswith("_test_score")):
        fold = int(column.removeprefix("split").split("_")[0]) + 1
        table[f"fold {fold}"] = sign * raw[column]
    table["fit time (s)"] = raw["mean_fit_time"]
    return table.sort_values(["rank", "candidate"], kind="stable").reset_index(drop=True)


def results(run: dict) -> None:
    """The Results page's search section: best parameters, the full table, and parameters against score."""
    info = outline(run)
    metric = _label(info.get("metric", "score"))
    table = results_table(run)
    st.subheader("Hyperparameter search")
    if table.empty:
        board = leaderboard(run)
        if board.empty:
            st.caption("No candidate finished before the search ended.")
            return
        st.caption(f"The search ended early; the {len(board)} candidate(s) that finished are kept.")
        table = board
    else:
        best = ", ".join(f"`{k} = {_text(v)}`" for k, v in (info.get("best_params") or {}).items())
        fits = f"{info.get('n_fits', '?')} of {info.get('planned_fits', '?')} fits"
        stopped = " · stopped at the time limit" if info.get("stopped_early") else ""
        st.markdown(
            f"**Best: candidate {int(info.get('best_candidate', -1)) + 1}** ({best}) · {metric} "
            f"{_sign(info) * float(info.get('best_score', float('nan'))):.4f} · {info.get('mode')} search, "
            f"{info.get('n_candidates')} candidates, {fits} on {info.get('compute', '?')}{stopped}"
        )
        st.caption("The scores, curves and downloads below are the best candidate's, refitted on every row.")
    st.dataframe(table, hide_index=True, width="stretch", key="search.table")
    params = [p for p in (info.get("names") or []) if p in table]
    score = f"{metric} (mean)"
    if "round" in table:
        table = table.sort_values("round").groupby("candidate", as_index=False).last()
    if not params or table[score].notna().sum() < 1:
        return
    st.plotly_chart(
        search_charts.parallel_coordinates(table, params, score, "Parameters against score (one line per candidate)"),
        width="stretch",
        key="search.parallel",
    )
    cells = st.columns(min(len(params), 3))
    for i, param in enumerate(params):
        cells[i % len(cells)].plotly_chart(
            search_charts.score_against(table, param, score, "± std"), width="stretch", key=f"search.against.{param}"
        )


def _sign(info: dict) -> float:
    return 1.0 if info.get("greater_is_better", True) else -1.0
