"""Charts drawn on the server as SVG: the geometry here, the words in the
template. No script and no style attribute (the CSP allows neither): bars
take their colour from the stylesheet by class."""

from collections.abc import Sequence
from dataclasses import dataclass

from tourdraw.reports.stats import PastRound

WIDTH = 320
ROW = 40  # a label line, then its bar
BAR_HEIGHT = 14
BAR_MAX = 250  # the width of a bar at 100 %, leaving room for the value after it


@dataclass(frozen=True)
class Bar:
    past: PastRound
    label_y: int
    bar_y: int
    width: float
    value_x: float
    value_y: int


@dataclass(frozen=True)
class ShareChart:
    width: int
    height: int
    bars: list[Bar]
    track: int = BAR_MAX  # the width of 100 %, drawn behind each bar
    bar_height: int = BAR_HEIGHT


def share_chart(past: Sequence[PastRound]) -> ShareChart:
    """One horizontal bar per round, its length the share of entries placed:
    tall rather than wide, to read on a phone."""
    bars = []
    for index, row in enumerate(past):
        top = index * ROW
        width = round(row.share * BAR_MAX, 1)
        bars.append(
            Bar(
                past=row,
                label_y=top + 12,
                bar_y=top + 18,
                width=width,
                value_x=width + 4,
                value_y=top + 18 + BAR_HEIGHT - 3,
            )
        )
    return ShareChart(WIDTH, max(len(past), 1) * ROW, bars)
