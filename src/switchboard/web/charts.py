"""Charts drawn on the server as inline SVG: horizontal bars, lines over days, and stacked
columns. No script and no inline style (the page's CSP forbids both): colours are classes
that the one stylesheet maps to variables, so a chart follows the light or dark scheme.

Each chart carries its words too: a one-sentence text alternative (the SVG's `aria-label`)
and the numbers as a table, which the page puts one click away beside the picture."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

Number = float | int | None
Format = Callable[[float], str]
SERIES_CLASSES = 6  # .s0 ... .s5 in app.css

# Geometry in SVG user units; the SVG scales to its box's width.
BAR_WIDTH = 360
BAR_ROW = 22
BAR_LABEL = 132
LABEL_CHARS = 21  # longer names are cut in the picture, whole in the words and the table
BAR_VALUE = 52
PLOT_WIDTH = 420
PLOT_HEIGHT = 150
PLOT_TOP = 10
PLOT_BOTTOM = 22
PLOT_LEFT = 34


def plain(value: float) -> str:
    return f"{value:,.0f}"


def percent(value: float) -> str:
    return f"{value:.0%}"


def dollars(value: float) -> str:
    return f"${value:,.0f}"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number]


@dataclass(frozen=True)
class Chart:
    """What a page shows: the title, the SVG, its text alternative, and the numbers."""

    key: str
    title: str
    summary: str
    picture: Markup  # the SVG, and its legend when it has several series
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _svg(
    key: str, title: str, summary: str, width: int, height: int, body: list[str], kind: str
) -> Markup:
    label = f"{title}. {summary}"
    return Markup(
        f'<svg class="chart-svg {kind}" id="chart-{escape(key)}" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _text(x: float, y: float, words: str, cls: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" class="{cls}" text-anchor="{anchor}">'
        f"{escape(words)}</text>"
    )


def _total(values: Sequence[Number]) -> float:
    return float(sum(v for v in values if v is not None))


def bar_chart(
    key: str, title: str, items: Sequence[tuple[str, Number]], fmt: Format = plain
) -> Chart:
    """One horizontal bar per item, its label on the left and its value on the right."""
    peak = max((float(v) for _, v in items if v is not None), default=0.0) or 1.0
    track = BAR_WIDTH - BAR_LABEL - BAR_VALUE
    body: list[str] = []
    for row, (name, value) in enumerate(items):
        y = row * BAR_ROW
        size = 0.0 if value is None else track * float(value) / peak
        short = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
        body.append(_text(0, y + 15, short, "chart-label"))
        body.append(
            f'<rect class="bar s{row % SERIES_CLASSES}" x="{BAR_LABEL}" y="{y + 4}" '
            f'width="{_num(max(size, 1.0 if value else 0.0))}" height="{BAR_ROW - 8}" rx="2"/>'
        )
        shown = "—" if value is None else fmt(float(value))
        body.append(_text(BAR_WIDTH, y + 15, shown, "chart-value", "end"))
    shown_items = [(n, "—" if v is None else fmt(float(v))) for n, v in items]
    if items:
        summary = ", ".join(f"{n} {v}" for n, v in shown_items) + "."
    else:
        summary = "Nothing to show yet."
    height = max(len(items), 1) * BAR_ROW
    return Chart(
        key=key,
        title=title,
        summary=summary,
        picture=_svg(key, title, summary, BAR_WIDTH, height, body, "bars"),
        columns=["", title],
        rows=[[n, v] for n, v in shown_items],
    )


def _axis(labels: Sequence[str], peak: float, fmt: Format) -> list[str]:
    bottom = PLOT_HEIGHT - PLOT_BOTTOM
    body = [
        f'<line class="chart-axis" x1="{PLOT_LEFT}" y1="{bottom}" x2="{PLOT_WIDTH}" y2="{bottom}"/>',
        f'<line class="chart-grid" x1="{PLOT_LEFT}" y1="{PLOT_TOP}" x2="{PLOT_WIDTH}" '
        f'y2="{PLOT_TOP}"/>',
        _text(PLOT_LEFT - 4, PLOT_TOP + 4, fmt(peak), "chart-tick", "end"),
        _text(PLOT_LEFT - 4, bottom, fmt(0), "chart-tick", "end"),
    ]
    if labels:
        # The first, middle and last days, kept inside the plot: flush left, centred, right.
        last, middle = len(labels) - 1, len(labels) // 2
        ticks: dict[int, tuple[float, str]] = {0: (PLOT_LEFT, "start"), last: (PLOT_WIDTH, "end")}
        if 0 < middle < last:
            ticks[middle] = (PLOT_LEFT + _slot(len(labels)) * (middle + 0.5), "middle")
        for index, (x, anchor) in sorted(ticks.items()):
            body.append(_text(x, PLOT_HEIGHT - 6, labels[index], "chart-tick", anchor))
    return body


def _slot(count: int) -> float:
    return (PLOT_WIDTH - PLOT_LEFT) / max(count, 1)


def _y(value: float, peak: float) -> float:
    bottom = PLOT_HEIGHT - PLOT_BOTTOM
    return bottom - (bottom - PLOT_TOP) * value / peak


def _legend(series: Sequence[Series]) -> Markup:
    if len(series) < 2:
        return Markup("")
    items = "".join(
        f'<li><span class="swatch s{i % SERIES_CLASSES}" aria-hidden="true"></span>'
        f"{escape(s.name)}</li>"
        for i, s in enumerate(series)
    )
    return Markup(f'<ul class="legend">{items}</ul>')


def _table_rows(labels: Sequence[str], series: Sequence[Series], fmt: Format) -> list[list[str]]:
    return [
        [label, *("—" if s.values[i] is None else fmt(float(s.values[i] or 0)) for s in series)]
        for i, label in enumerate(labels)
    ]


def line_chart(
    key: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Format = plain,
    *,
    peak: float | None = None,
) -> Chart:
    """A line per series over the days; a gap where a day has no value (a rate of nothing)."""
    top = peak or max((float(v) for s in series for v in s.values if v is not None), default=0.0)
    top = top or 1.0
    step = _slot(len(labels))
    body = _axis(labels, top, fmt)
    for index, one in enumerate(series):
        runs: list[list[str]] = [[]]
        for i, value in enumerate(one.values):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{_num(PLOT_LEFT + step * (i + 0.5))},{_num(_y(float(value), top))}")
        for run in runs:
            if len(run) == 1:
                x, y = run[0].split(",")
                body.append(
                    f'<circle class="dot s{index % SERIES_CLASSES}" cx="{x}" cy="{y}" r="3"/>'
                )
            elif run:
                body.append(
                    f'<polyline class="line s{index % SERIES_CLASSES}" points="{" ".join(run)}"/>'
                )
    summary = _trend_summary(labels, series, fmt)
    return Chart(
        key=key,
        title=title,
        summary=summary,
        picture=Markup(
            _svg(key, title, summary, PLOT_WIDTH, PLOT_HEIGHT, body, "plot") + _legend(series)
        ),
        columns=["Day", *(s.name for s in series)],
        rows=_table_rows(labels, series, fmt),
    )


def stacked_bars(
    key: str, title: str, labels: Sequence[str], series: Sequence[Series], fmt: Format = plain
) -> Chart:
    """A column per day, the series stacked in it, in order from the bottom."""
    totals = [_total([s.values[i] for s in series]) for i in range(len(labels))]
    top = max(totals, default=0.0) or 1.0
    step = _slot(len(labels))
    gap = min(2.0, step * 0.2)
    body = _axis(labels, top, fmt)
    for i in range(len(labels)):
        base = 0.0
        for index, one in enumerate(series):
            value = float(one.values[i] or 0)
            if not value:
                continue
            y_top, y_base = _y(base + value, top), _y(base, top)
            body.append(
                f'<rect class="bar s{index % SERIES_CLASSES}" x="{_num(PLOT_LEFT + step * i + gap / 2)}" '
                f'y="{_num(y_top)}" width="{_num(max(step - gap, 0.5))}" '
                f'height="{_num(y_base - y_top)}"/>'
            )
            base += value
    summary = _trend_summary(labels, [Series("total", totals)], fmt, parts=series)
    return Chart(
        key=key,
        title=title,
        summary=summary,
        picture=Markup(
            _svg(key, title, summary, PLOT_WIDTH, PLOT_HEIGHT, body, "plot") + _legend(series)
        ),
        columns=["Day", *(s.name for s in series), "Total"],
        rows=[[*row, fmt(totals[i])] for i, row in enumerate(_table_rows(labels, series, fmt))],
    )


def _trend_summary(
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
    parts: Sequence[Series] = (),
) -> str:
    """'Nov 15 to Nov 21. Total 13; highest 5 on Nov 20; last day 2. ...' in words."""
    if not labels:
        return "Nothing to show yet."
    words = [f"{labels[0]} to {labels[-1]}."]
    for one in series:
        known = [(float(v), labels[i]) for i, v in enumerate(one.values) if v is not None]
        if not known:
            words.append(f"{one.name.capitalize()}: no data.")
            continue
        high, when = max(known, key=lambda pair: pair[0])
        last = one.values[-1]
        last_words = "none" if last is None else fmt(float(last))
        words.append(
            f"{one.name.capitalize()}: highest {fmt(high)} on {when}, last day {last_words}."
        )
    if parts:
        words.append(
            "In all: " + ", ".join(f"{s.name} {fmt(_total(s.values))}" for s in parts) + "."
        )
    return " ".join(words)
