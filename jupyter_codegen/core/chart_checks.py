"""What a drawn chart shows, read from its Axes after the run: bars wide enough to see, lying
the way the prompt asked, and x labels that do not overlap.

Small models draw charts that run and look plausible in code but not on screen: monthly bars
0.8 days wide on a two-year date axis (a bar's width is in days there), twenty-four month
labels printed over each other, vertical bars where the prompt said horizontal. Each check
reads only the figures the run showed or left open (kernel/executor.py collects them before
the inline backend closes them) and fires only on what the picture plainly shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from jupyter_codegen.core.intent import Intent

#: A bar narrower than this share of the spacing between bars is a sliver at normal size.
_THINNEST = 0.2
#: Bars wider than this share of their spacing cover their neighbours (grouped bars touch: 1).
_WIDEST = 1.05
#: Level labels overlapping by more than this share of the narrower one's width are unreadable
#: (matplotlib's own date labels may touch by a pixel or two: those are left alone).
_OVERLAP = 0.25
#: Two labels closer than this share of their font size (across their slant) run together.
_LABEL_GAP = 0.8


def check_charts(intent: Intent, figures: Iterable[Any]) -> str | None:
    """The first problem a chart of ``figures`` shows, as a repair message; None if none.
    Only a chart prompt's figures are judged."""
    if not intent.chart:
        return None
    for figure in figures:
        for ax in list(getattr(figure, "axes", ())):
            problem = _bars_problem(intent, ax) or _labels_problem(ax)
            if problem:
                return problem
    return None


def _bar_groups(ax: Any) -> Iterator[Any]:
    """The bar containers of ``ax`` (bar, barh, pandas' and seaborn's bars, histograms)."""
    from matplotlib.container import BarContainer

    for container in ax.containers:
        if isinstance(container, BarContainer) and len(container.patches) >= 2:
            yield container


def _bars_problem(intent: Intent, ax: Any) -> str | None:
    lying: dict[str, list[Any]] = {}
    for group in _bar_groups(ax):
        way = getattr(group, "orientation", None) or "vertical"
        if intent.bars and way != intent.bars:
            barh = "plt.barh(labels, values)" if intent.bars == "horizontal" else "plt.bar"
            return (
                f"The task asks for {intent.bars} bars; the chart draws them {way}. "
                f"Draw {intent.bars} bars ({barh}, or .plot.barh() / .plot.bar())."
            )
        lying.setdefault(way, []).extend(group.patches)
    # All bars of one way together: grouped bars (one container per column) sit side by side.
    for way, patches in lying.items():
        measured = _bar_share(patches, sideways=way == "horizontal")
        if measured is None:
            continue
        share, gap = measured
        size = "height" if way == "horizontal" else "width"
        bar = "plt.barh" if way == "horizontal" else "plt.bar"
        fix = f"{size}={0.8 * gap:.3g}"
        if share < _THINNEST:
            return (
                f"The bars are drawn {share:.0%} as wide as the spacing between them, so most "
                f"cannot be seen (on a date axis a bar's width is in days). Fix: add {fix} to "
                f"the bar call, as in {bar}(x, y, {fix}), and keep x as it is (80% of the "
                "spacing)."
            )
        if share > _WIDEST:
            return (
                f"The bars are drawn {share:.1f} times as wide as the spacing between them, so "
                f"they cover each other. Fix: pass {fix} to the bar call, as in "
                f"{bar}(x, y, {fix}) (80% of the spacing)."
            )
    return None


def _bar_share(patches: list[Any], sideways: bool) -> tuple[float, float] | None:
    """The thinnest bar's width over the closest spacing of the bars' centres, and that
    spacing."""
    try:
        if sideways:
            sizes = [abs(p.get_height()) for p in patches]
            centres = sorted(p.get_y() + p.get_height() / 2 for p in patches)
        else:
            sizes = [abs(p.get_width()) for p in patches]
            centres = sorted(p.get_x() + p.get_width() / 2 for p in patches)
    except (TypeError, ValueError):
        return None
    gaps = [b - a for a, b in zip(centres, centres[1:], strict=False) if b - a > 1e-9]
    if not gaps or not all(math.isfinite(s) for s in sizes):
        return None
    return min(sizes) / min(gaps), min(gaps)


def _labels_problem(ax: Any) -> str | None:
    """The x tick labels, as drawn, run into each other: their boxes overlap when level, or
    their slanted lines lie closer than the text is tall."""
    try:
        crowded, count = _crowded_labels(ax)
    except Exception:  # an exotic Axes or canvas (3-D, polar, a map, no renderer): not judged
        return None
    if not crowded:
        return None
    return (
        f"The chart's {count} x-axis labels overlap and cannot be read. Rotate them "
        "(plt.xticks(rotation=90)), or label fewer ticks."
    )


def _crowded_labels(ax: Any) -> tuple[int, int]:
    """(how many neighbouring x tick labels run into each other, how many there are)."""
    figure = ax.figure
    canvas = figure.canvas
    if not hasattr(canvas, "get_renderer"):
        # A figure the inline backend showed and closed has lost its canvas: lay it out anew.
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(figure)
    figure.draw_without_rendering()  # the labels' text and places are set when drawn
    renderer = canvas.get_renderer()
    low, high = sorted(ax.get_xlim())
    labels = [
        t
        for t, tick in zip(ax.get_xticklabels(), ax.get_xticks(), strict=False)
        if t.get_visible() and t.get_text().strip() and low <= tick <= high
    ]
    points_per_pixel = 72.0 / figure.dpi
    boxes = sorted(((t.get_window_extent(renderer), t) for t in labels), key=lambda b: b[0].x0)
    crowded = 0
    for (left, text), (right, _) in zip(boxes, boxes[1:], strict=False):
        slant = math.radians(text.get_rotation() % 180)
        if abs(math.sin(slant)) < 0.05:  # level: the boxes must not run into each other
            narrower = min(left.width, right.width)
            crowded += left.x1 - right.x0 > _OVERLAP * narrower
        else:  # slanted or upright: the lines must lie a text's height apart
            step = (right.x0 + right.x1 - left.x0 - left.x1) / 2 * points_per_pixel
            crowded += step * abs(math.sin(slant)) < _LABEL_GAP * text.get_size()
    return crowded, len(labels)
