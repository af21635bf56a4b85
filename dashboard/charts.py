"""Plotly figures for the dashboard: one helper per chart kind, shared by every page."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

_PALETTE = qualitative.Plotly
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
#: The legend goes under the plot, at the bottom of the figure: above it, it ran into the title and under the
#: toolbar's buttons. (Plotly makes room for it and for tick labels, not for an x-axis title as well, so a
#: chart with a legend names its x axis in its ticks or keeps its legend inside the plot.)
_LEGEND = {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0}
#: A legend inside the plot, in its lower right corner (where ROC curves never go).
_LEGEND_INSIDE = {"orientation": "v", "yref": "paper", "yanchor": "bottom", "y": 0.02, "xanchor": "right", "x": 0.98, "bgcolor": "rgba(255,255,255,0.8)"}


def _layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=_MARGIN,
        template="plotly_white",
        legend=_LEGEND,
    )
    return fig


def _text(value: object) -> str:
    """User text (a column name, a class, a run name) for a plotly label: plotly reads a few HTML tags
    (``<a href>``, ``<b>``) in titles, legends and ticks, so they are escaped to show as written."""
    return html.escape(str(value), quote=False)


def _epoch_axis(fig: go.Figure, epochs: pd.Series) -> None:
    """Epochs are whole numbers: a tick on each (every 2nd, 5th, 10th... when there are many), the first one
    reading ``epoch 1`` so the axis needs no title below it."""
    values = pd.to_numeric(epochs, errors="coerce").dropna()
    if values.empty:
        return
    low, high = int(values.min()), int(values.max())
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if (high - low) / s <= 11)
    first = -(-low // step) * step  # the first multiple of the step from the lowest epoch on
    ticks = list(range(first, high + 1, step)) or [low]
    fig.update_xaxes(
        tickmode="array", tickvals=ticks, ticktext=[f"epoch {t}" if i == 0 else str(t) for i, t in enumerate(ticks)]
    )


def column_distribution(series: pd.Series, numeric: bool, max_bars: int = 12) -> go.Figure:
    """A small histogram (numeric) or bar chart of the most frequent values (anything else)."""
    values = series.dropna()
    fig = go.Figure()
    if numeric:
        fig.add_histogram(x=pd.to_numeric(values, errors="coerce"), nbinsx=20, marker_color=_PALETTE[0])
    else:
        counts = values.astype(str).value_counts().head(max_bars)
        fig.add_bar(x=[_text(v) for v in counts.index], y=counts.to_numpy(), marker_color=_PALETTE[0])
        fig.update_xaxes(type="category")
    fig = _layout(fig, title=_text(series.name), height=180)
    fig.update_layout(margin={"l": 4, "r": 4, "t": 28, "b": 4}, title_font_size=13, showlegend=False)
    fig.update_xaxes(tickfont_size=9)
    fig.update_yaxes(tickfont_size=9)
    return fig


def counts_bar(counts: pd.Series, title: str, height: int = 360) -> go.Figure:
    """Horizontal bars of precomputed counts (e.g. the most frequent words), the largest on top."""
    fig = go.Figure(
        go.Bar(x=counts.to_numpy(), y=[_text(i) for i in counts.index], orientation="h", marker_color=_PALETTE[0])
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=height)


def learning_curves(epochs: pd.DataFrame, column: str, by: str = "fold", title: str | None = None) -> go.Figure:
    """Train (solid) and validation (dashed) curves of ``column`` per epoch, one colour per ``by`` group.

    ``epochs`` has an ``epoch`` column, a ``by`` column and ``train_<column>`` / ``valid_<column>`` (or
    just ``column``) columns; a missing one is skipped, so a run without a validation split still draws.
    """
    fig = go.Figure()
    if epochs.empty:
        return _layout(fig, title)
    # Several groups (folds, runs) in the legend make it taller: the plot keeps its own height.
    n_groups = epochs[by].nunique()
    for i, (group, frame) in enumerate(epochs.groupby(by, sort=False)):
        color = _PALETTE[i % len(_PALETTE)]
        frame = frame.sort_values("epoch")
        for name, dash in ((f"train_{column}", "solid"), (f"valid_{column}", "dash"), (column, "dot")):
            if name not in frame or frame[name].isna().all():
                continue
            fig.add_scatter(
                x=frame["epoch"],
                y=frame[name],
                mode="lines+markers" if len(frame) < 30 else "lines",
                name=f"{_text(group)} · {name}",
                legendgroup=str(group),
                line={"color": color, "dash": dash},
            )
    _epoch_axis(fig, epochs["epoch"])
    fig.update_yaxes(title=column)
    return _layout(fig, title, height=360 + 22 * max(n_groups - 2, 0))


def fold_scores(scores: pd.DataFrame, metric: str, by: str | None = None) -> go.Figure:
    """Bars of ``metric`` per fold, labelled with their values, and the mean as a dashed line.

    With ``by`` (e.g. a run column), one group of bars per value of ``by``, its mean in the legend.
    """
    fig = go.Figure()
    groups = [(None, scores)] if by is None else list(scores.groupby(by, sort=False))
    for i, (group, frame) in enumerate(groups):
        color = _PALETTE[i % len(_PALETTE)]
        mean = float(np.nanmean(frame[metric])) if len(frame) else float("nan")
        fig.add_bar(
            x=[f"fold {int(f)}" for f in frame["fold"]],
            y=frame[metric],
            name=f"{_text(group)} (mean {mean:.3f})" if group is not None else metric,
            marker_color=color,
            text=frame[metric],
            texttemplate="%{text:.3f}",
            textposition="inside",
        )
        # One group labels its mean on the line; several name theirs in the legend.
        label = {"annotation_text": f"mean {mean:.3f}", "annotation_position": "top left"} if group is None else {}
        fig.add_hline(y=mean, line={"color": color, "dash": "dash"}, **label)
    fig.update_layout(barmode="group", showlegend=by is not None)
    fig.update_yaxes(title=metric)
    return _layout(fig, f"{metric} per fold", height=300)


def confusion_matrix(
    y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None, source: str = "out-of-fold"
) -> go.Figure:
    """Heatmap of counts, actual classes down, predicted classes across; ``source`` names the rows in the
    title (``out-of-fold``, ``holdout rows``)."""
    true = pd.Series(y_true).astype(str).to_numpy()
    pred = pd.Series(y_pred).astype(str).to_numpy()
    names = [str(x) for x in labels] if labels is not None else sorted(set(true) | set(pred))
    shown = [_text(n) for n in names]
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=int)
    for t, p in zip(true, pred, strict=True):
        if t in index and p in index:
            counts[index[t], index[p]] += 1
    fig = go.Figure(
        go.Heatmap(
            z=counts,
            x=shown,
            y=shown,
            colorscale="Oranges",
            text=counts,
            texttemplate="%{text}",
            hovertemplate="actual %{y}<br>predicted %{x}<br>%{z} rows<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted", type="category")
    fig.update_yaxes(title="actual", type="category", autorange="reversed")
    return _layout(fig, f"Confusion matrix ({source})")


def roc_curves(y_true: Sequence, proba: pd.DataFrame, source: str = "out-of-fold") -> go.Figure:
    """One-vs-rest ROC curve per class from out-of-fold probabilities (columns named by class), each AUC
    computed on all the rows at once (for out-of-fold rows the legend says "pooled")."""
    from sklearn.metrics import auc, roc_curve

    true = pd.Series(y_true).astype(str).to_numpy()
    # Out-of-fold rows come from several models: one AUC over them all is "pooled".
    pooled = "pooled " if source == "out-of-fold" else ""
    fig = go.Figure()
    classes = list(proba.columns)
    # A binary problem needs one curve, for the positive (second) class.
    shown = classes[1:] if len(classes) == 2 else classes
    for i, cls in enumerate(shown):
        positive = true == str(cls)
        if positive.all() or not positive.any():
            continue
        fpr, tpr, _ = roc_curve(positive, proba[cls].to_numpy())
        fig.add_scatter(
            x=fpr,
            y=tpr,
            mode="lines",
            name=f"{_text(cls)} ({pooled}AUC {auc(fpr, tpr):.3f})",
            line={"color": _PALETTE[i % len(_PALETTE)]},
        )
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "#999", "dash": "dot"}, showlegend=False)
    fig.update_xaxes(title="false positive rate", range=[0, 1])
    fig.update_yaxes(title="true positive rate", range=[0, 1.02])
    fig = _layout(fig, f"ROC ({source})")
    fig.update_layout(legend=_LEGEND_INSIDE)
    return fig


def predicted_vs_actual(y_true: Sequence, y_pred: Sequence, source: str = "out-of-fold") -> go.Figure:
    """Scatter of predictions against true values with the identity line."""
    true = np.asarray(y_true, dtype=float)
    pred = np.asarray(y_pred, dtype=float)
    fig = go.Figure()
    fig.add_scatter(x=true, y=pred, mode="markers", marker={"color": _PALETTE[0], "opacity": 0.6}, name="rows")
    finite = np.concatenate([true[np.isfinite(true)], pred[np.isfinite(pred)]])
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", line={"color": "#999", "dash": "dot"}, name="ideal")
    fig.update_xaxes(title="actual")
    fig.update_yaxes(title="predicted")
    fig = _layout(fig, f"Predicted vs actual ({source})")
    fig.update_layout(legend=_LEGEND_INSIDE)
    return fig


def residuals(y_true: Sequence, y_pred: Sequence, source: str = "out-of-fold") -> go.Figure:
    """Residuals (actual − predicted) against predictions, with the zero line."""
    true = np.asarray(y_true, dtype=float)
    pred = np.asarray(y_pred, dtype=float)
    fig = go.Figure()
    fig.add_scatter(x=pred, y=true - pred, mode="markers", marker={"color": _PALETTE[1], "opacity": 0.6})
    fig.add_hline(y=0, line={"color": "#999", "dash": "dot"})
    fig.update_xaxes(title="predicted")
    fig.update_yaxes(title="actual − predicted")
    fig.update_layout(showlegend=False)
    return _layout(fig, f"Residuals ({source})")
