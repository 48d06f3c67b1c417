"""The digest's picture: participation and answer rate over 12 weeks, and the
steal mix beside the Beacon survey's 63 / 29 / 8.

Matplotlib with the Agg backend and its object API (no pyplot state), so it
runs in any thread without a display; a fixed pixel size so every platform
shows it the same way.
"""

from __future__ import annotations

import io
import logging

from bot.flows.digest.data import Digest
from bot.flows.digest.flags import REFERENCE

__all__ = ["HEIGHT", "WIDTH", "render_chart", "warm_up"]

logger = logging.getLogger(__name__)

WIDTH, HEIGHT, DPI = 1200, 700, 100
MODES = ("adapted", "accelerated", "closely_based")
MODE_LABELS = ("Adapted", "Accelerated", "Closely based")
BLUE, ORANGE, GREY, TEAL = "#3b6ea5", "#e08a2c", "#b8b8b8", "#4aa39a"
# A fixed title height: left to itself matplotlib measures every tick label to
# place the title, a fifth of the chart's drawing time.
TITLE_Y = 1.02


def _share(mix: dict[str, int]) -> list[float]:
    total = sum(mix.values())
    return [100 * mix.get(m, 0) / total if total else 0.0 for m in MODES]


def warm_up() -> None:
    """Import matplotlib and draw a tiny figure with text, in the background at start:
    the import, the font cache (built on first use when missing) and the first font
    load cost the first digest of a process about a second otherwise."""
    _canvas(_figure()(figsize=(1, 1), dpi=10)).print_png(io.BytesIO())
    # the figure's own text and tick labels load the font, as a real chart does
    fig = _figure()(figsize=(2, 1), dpi=20)
    _canvas(fig)
    fig.add_subplot().set_title("warm up")
    fig.savefig(io.BytesIO(), format="png")


def _figure():
    # Imported on first use, off the start-up path: matplotlib (with numpy, fonts
    # and PIL) is the heaviest import in the bot, over a second on this machine;
    # ``beacon run`` warms it in a background thread (:func:`warm_up`).
    from matplotlib.figure import Figure

    return Figure


def _canvas(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return FigureCanvasAgg(fig)


def render_chart(d: Digest) -> bytes:
    """A ``WIDTH`` × ``HEIGHT`` PNG of the digest's trends."""
    fig = _figure()(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    _canvas(fig)
    fig.suptitle(f"{d.network}: {d.period.label()}", fontsize=14)
    grid = fig.add_gridspec(1, 2, width_ratios=(3, 2), left=0.06, right=0.97, top=0.86, bottom=0.16, wspace=0.28)

    weeks = d.weeks
    xs = list(range(len(weeks)))
    labels = [f"{w.start:%-d %b}" for w in weeks]
    ax = fig.add_subplot(grid[0])
    part = [100 * (w.participation or 0) for w in weeks]
    rate = [100 * w.answer_rate if w.answer_rate is not None else float("nan") for w in weeks]
    ax.bar(xs, part, color=BLUE, alpha=0.85, label="Members active (%)")
    ax.plot(xs, rate, color=ORANGE, marker="o", linewidth=2.2, label="Prompts answered (%)")
    ax.set_ylim(0, 105)
    ax.set_xticks(xs, labels, rotation=45, ha="right", fontsize=9)
    ax.set_ylabel("%")
    ax.set_title("Participation and answer rate, last 12 periods", fontsize=11, y=TITLE_Y)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", fontsize=9, frameon=False)

    bx = fig.add_subplot(grid[1])
    series = [("This period", _share(d.practices.mix), TEAL), ("All time", _share(d.practices.mix_all), BLUE),
              ("Beacon survey", [float(REFERENCE[m]) for m in MODES], GREY)]  # fmt: skip
    width = 0.26
    for i, (name, values, colour) in enumerate(series):
        pos = [x + (i - 1) * width for x in range(len(MODES))]
        bars = bx.bar(pos, values, width, color=colour, label=name)
        bx.bar_label(bars, labels=[f"{v:.0f}" for v in values], fontsize=8, padding=2)
    bx.set_xticks(range(len(MODES)), MODE_LABELS)
    bx.set_ylim(0, 110)
    bx.set_ylabel("% of steals")
    steals = sum(d.practices.mix_all.values())
    bx.set_title(f"Steal mix ({d.practices.steals} this period, {steals} all time)", fontsize=11, y=TITLE_Y)
    bx.legend(loc="upper right", fontsize=9, frameon=False)
    bx.grid(axis="y", alpha=0.3)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return buf.getvalue()
