"""Output helper: where a rating scale's scores go on a chart, and the same scores as a
line of text. Numbers in, numbers and short texts out: no markup, so that templates draw
the SVG (and escape every text in it) and a clinic's templates can draw it otherwise.

    chart = charts.plot([(1, 19), (2, 17), (3, 15)], low=0, high=27, first=1, last=16)
    chart.points[0]            # PlotPoint(session=1, total=19, x=..., y=...)
    charts.sparkline([19, 17, 15], 0, 27)          # '▅▄▄'
    charts.sparkline([19, 17, 15], 0, 27, ASCII)   # '+==' (plain text that must stay ASCII)

A higher total is drawn higher, as on every scale of the catalogue a higher total means
more symptoms.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

# Eight heights of a sparkline: Unicode blocks for Markdown, and for plain text that must
# stay ASCII, marks that grow heavier with the score.
BLOCKS = "▁▂▃▄▅▆▇█"
ASCII = "_.-=+*#@"


class PlotPoint(NamedTuple):
    session: int
    total: int
    x: float
    y: float


class PlotBand(NamedTuple):
    """A band's strip across the chart: from `y` down `height`, its label at `label_y`."""

    low: int
    high: int
    label: str
    y: float
    height: float
    label_y: float
    shade: float  # fill opacity: the more severe the band, the darker


class Tick(NamedTuple):
    value: int  # a total on the y axis, a session number on the x axis
    at: float  # its y (totals) or x (sessions)


class Plot(NamedTuple):
    """A chart's geometry in its own units (an SVG viewBox of width x height)."""

    width: int
    height: int
    left: float  # the plotting area
    top: float
    right: float
    bottom: float
    points: tuple[PlotPoint, ...]
    bands: tuple[PlotBand, ...]
    totals: tuple[Tick, ...]  # y axis: where each band starts, and the scale's top
    sessions: tuple[Tick, ...]  # x axis

    @property
    def area_width(self) -> float:
        return self.right - self.left

    @property
    def line(self) -> str:
        """The points as an SVG polyline's `points`: "x,y x,y ..."."""
        return " ".join(f"{p.x:g},{p.y:g}" for p in self.points)


def sparkline(totals: Sequence[int], low: int, high: int, marks: str = BLOCKS) -> str:
    """One mark per total, its height the total's place in the scale's range (not in the
    totals' own, so that a flat line near the top reads as severe)."""
    steps = len(marks) - 1
    span = max(1, high - low)
    return "".join(marks[round(min(max(t - low, 0), span) * steps / span)] for t in totals)


def plot(scores: Sequence[tuple[int, int]], low: int, high: int, first: int, last: int,
         bands: Sequence[tuple[int, int, str]] = (), width: int = 640, height: int = 110,
         margins: tuple[float, float, float, float] = (28, 6, 118, 18),
         session_ticks: int = 16) -> Plot:
    """Where each (session, total) goes on a chart of sessions `first` to `last` across and
    totals `low` to `high` up, with the scale's bands as strips behind them. `margins` are
    left, top, right and bottom, for the axis labels; `session_ticks` is how many session
    numbers the x axis shows at most."""
    left, top, right_margin, bottom_margin = margins
    right, bottom = width - right_margin, height - bottom_margin
    slots = last - first + 1
    span = max(1, high - low)

    def x_of(session: int) -> float:
        """The middle of the session's slot: the first and last keep clear of the axes."""
        return round(left + (session - first + 0.5) * (right - left) / slots, 1)

    def y_of(total: float) -> float:
        return round(bottom - (min(max(total, low), high) - low) * (bottom - top) / span, 1)

    strips = []
    for index, (band_low, band_high, label) in enumerate(bands):
        # A band covers its totals' whole steps: from band_low - 0.5 to band_high + 0.5,
        # cut at the scale's ends, so that the strips meet.
        upper, lower = y_of(min(band_high + 0.5, high)), y_of(max(band_low - 0.5, low))
        strips.append(PlotBand(band_low, band_high, label, upper, round(lower - upper, 1),
                               round((upper + lower) / 2, 1),
                               round(0.04 + 0.3 * index / max(1, len(bands) - 1), 2)))
    totals = sorted({low, high, *(b[0] for b in bands)})
    step = max(1, -(-(last - first + 1) // session_ticks))
    sessions = [n for n in range(first, last + 1, step)]
    if sessions[-1] != last:
        sessions.append(last)
    return Plot(width, height, left, top, right, bottom,
                tuple(PlotPoint(n, t, x_of(n), y_of(t)) for n, t in scores),
                tuple(strips), tuple(Tick(t, y_of(t)) for t in totals),
                tuple(Tick(n, x_of(n)) for n in sessions))
