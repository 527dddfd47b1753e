"""The stages side by side as a PNG bar chart (messages per second, log scale)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = results["backlog"]["stages"]
    names = list(stages)
    values = [stages[n]["msgs_per_s"] for n in names]
    with_load = stages.get("extraction", {}).get("with_load")
    if with_load:  # extraction timed with its model loading: the baseline of the end-to-end run with its start-up
        names.insert(names.index("extraction") + 1, "extraction incl. model loading")
        values.insert(names.index("extraction") + 1, with_load["msgs_per_s"])
    after = stages.get("end_to_end", {}).get("after_start_up")
    if after:  # the same run, timed from the daemon's "extractor ready" on: comparable with extraction alone
        names.append("end_to_end after start-up")
        values.append(after["msgs_per_s"])
    fig, ax = plt.subplots(figsize=(8, 4.4), dpi=110)
    bars = ax.barh(names, values, color=["#c44e52" if n.startswith("end_to_end") else "#4c72b0" for n in names])
    ax.set_xscale("log")
    ax.set_xlabel("messages per second (log scale)")
    ax.invert_yaxis()
    for bar, v in zip(bars, values, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:,.0f}", va="center", fontsize=9)
    meta = results["machine"]
    ax.set_title(f"le-triage backlog of {results['backlog']['n']} messages: stages side by side\n"
                 f"{meta['cores']} cores, {meta['date']}", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
