"""A model card (as :func:`backend.artifacts.model_card` writes it) as Markdown people can read: what the
Results page shows and what the run's ``model_card.md`` holds."""

from __future__ import annotations

from typing import Any

from backend.evaluate.metrics import METRICS


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "–" if value is None else str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def card_markdown(card: dict[str, Any]) -> str:
    """A model card (as :func:`backend.artifacts.model_card` writes it) as Markdown people can read."""
    model, data, metrics = card.get("model", {}), card.get("data", {}), card.get("metrics", {})
    training, hardware, versions = (
        card.get("training", {}),
        card.get("hardware", {}),
        card.get("versions", {}),
    )
    parts = [f"### {card.get('task', '').capitalize()} of `{card.get('target')}`"]
    facts = [
        f"**Run** `{card.get('run_id', '')}`, created {card.get('created_at', '')}",
        f"**Model**: {model.get('estimator')} with a {model.get('module')} of "
        f"{model.get('n_parameters', 0):,} parameters on {model.get('n_features_in')} input features",
        f"**Random seed**: {card.get('seed')}",
    ]
    if card.get("classes"):
        facts.append("**Classes**: " + ", ".join(f"`{c}`" for c in card["classes"]))
    search = card.get("search")
    if search:
        best = ", ".join(f"{k} = {v}" for k, v in (search.get("best_params") or {}).items())
        facts.append(
            f"**Search**: {search.get('mode')} over {search.get('n_candidates')} candidates "
            f"({search.get('n_fits')} fits); best: {best}"
        )
    parts.append("\n".join(f"- {f}" for f in facts))

    summary = metrics.get("summary", {})
    if summary:
        parts.append(f"#### Scores ({metrics.get('evaluation')}, {metrics.get('n_folds')} split(s))")
        rows = [
            [
                METRICS.get(m, (m,))[0],
                _number(s.get("mean")),
                _number(s.get("std")),
                _number(s.get("min")),
                _number(s.get("max")),
            ]
            for m, s in summary.items()
        ]
        parts.append(_table(["metric", "mean", "std", "min", "max"], rows))
        if metrics.get("spread"):
            parts.append(f"_{metrics['spread']}._")

    parts.append("#### Data")
    parts.append(
        f"{data.get('n_rows')} rows × {data.get('n_columns')} columns "
        f"({data.get('n_rows_used')} used; {data.get('n_dropped_missing_target', 0)} without a target). "
        f"Fingerprint `{data.get('sha256', data.get('fingerprint', ''))}`."
    )
    columns = data.get("columns") or []
    if columns:
        parts.append(
            _table(
                ["column", "role", "type", "missing", "distinct"],
                [[f"`{c['name']}`", c["role"], c["dtype"], c["n_missing"], c["n_distinct"]] for c in columns],
            )
        )

    inputs = card.get("input") or {}
    if inputs:
        parts.append("#### Input it expects")
        parts.append(str(inputs.get("type", "")))
        used = [c for c in inputs.get("columns", []) if c.get("used")]
        if used:
            parts.append("Reads: " + ", ".join(f"`{c['name']}` ({c.get('as', '')})" for c in used) + ".")
        ignored = [c for c in inputs.get("columns", []) if not c.get("used")]
        if ignored:
            parts.append(
                "Ignores: " + ", ".join(f"`{c['name']}` ({c.get('ignored_because')})" for c in ignored) + "."
            )
        for key in ("target", "extra_columns", "missing_values", "unseen_categories"):
            if inputs.get(key):
                parts.append(f"- {key.replace('_', ' ')}: {inputs[key]}")
    output = card.get("output") or {}
    if output:
        parts.append("#### Output")
        parts.append("\n".join(f"- `{name}`: {what}" for name, what in output.items()))

    parts.append("#### Training")
    parts.append(
        f"- {training.get('duration_s')} s in all; the final fit trained {training.get('final_fit_epochs')} epochs"
        f"\n- Hardware: {hardware.get('platform', hardware.get('system'))}, {hardware.get('cpu_count')} cores, "
        f"{hardware.get('memory_gb')} GB, device `{hardware.get('device')}`"
        + (f", GPU {hardware['gpu']}" if hardware.get("gpu") else "")
        + "\n- Versions: "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
    )
    if card.get("example"):
        parts.append("#### How to use it")
        parts.append(f"```python\n{card['example']}```")
    if card.get("how_to_load"):
        parts.append(f"_{card['how_to_load']}_")
    return "\n\n".join(parts)
