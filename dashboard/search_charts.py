"""Plotly figures of a search: parameters against score (parallel coordinates), and score against each one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import _layout


def _axis(values: pd.Series) -> tuple[list, dict]:
    """Plot positions of a parameter's values, and the axis ticks naming them when they are not numbers."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and not values.map(lambda v: isinstance(v, bool)).any():
        return numeric.tolist(), {}
    text = values.map(str)
    levels = sorted(text.unique())
    codes = text.map({level: i for i, level in enumerate(levels)})
    return codes.tolist(), {"tickvals": list(range(len(levels))), "ticktext": levels}


def parallel_coordinates(table: pd.DataFrame, params: list[str], score: str, title: str) -> go.Figure:
    """One line per candidate through an axis per parameter, ending at its score; colour is the score.

    ``table`` has a column per name in ``params`` (numbers, or anything else shown as text) and ``score``.
    """
    shown = table.dropna(subset=[score])
    dimensions = []
    for name in params:
        values, ticks = _axis(shown[name])
        log = name == "lr" and not ticks and min(values, default=1) > 0
        if log:
            values = np.log10(values).tolist()
        dimensions.append({"label": f"log10 {name}" if log else name, "values": values, **ticks})
    dimensions.append({"label": score, "values": shown[score].tolist()})
    fig = go.Figure(
        go.Parcoords(
            line={"color": shown[score].tolist(), "colorscale": "Viridis", "showscale": True},
            dimensions=dimensions,
        )
    )
    fig = _layout(fig, title, height=380)
    fig.update_layout(margin={"l": 60, "r": 60, "t": 70, "b": 20})
    return fig


def score_against(table: pd.DataFrame, param: str, score: str, spread: str | None = None) -> go.Figure:
    """Each candidate's ``score`` (with ``spread`` as error bars) against its value of ``param``."""
    shown = table.dropna(subset=[score])
    values, ticks = _axis(shown[param])
    error = {"type": "data", "array": shown[spread].tolist(), "visible": True} if spread else None
    fig = go.Figure(
        go.Scatter(
            x=values,
            y=shown[score].tolist(),
            mode="markers",
            marker={"size": 10, "color": shown[score].tolist(), "colorscale": "Viridis"},
            error_y=error,
            hovertext=[f"candidate {c}" for c in shown.get("candidate", shown.index)],
        )
    )
    fig = _layout(fig, f"{score} against {param}", height=300)
    fig.update_xaxes(title=param, **ticks, **({"type": "log"} if param == "lr" and not ticks else {}))
    fig.update_yaxes(title=score)
    return fig
