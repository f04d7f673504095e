"""The dashboards' charts, laid out on the server as SVG geometry.

No script draws them and nothing comes from another host: the templates turn
each :class:`Chart` into ``<svg role="img">`` markup whose ``aria-label``
states every number, and each chart has a data table beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import dates
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tourdraw.reports.stats import RoundSummary

WIDTH = 420


@dataclass(frozen=True)
class Bar:
    label: str  # what the bar counts: "Placed", "Mar"
    value: int
    text: str  # its value with the unit: "40 parties"
    x: int
    y: int
    width: int
    height: int
    label_x: int
    label_y: int
    text_x: int
    text_y: int


@dataclass(frozen=True)
class Chart:
    title: str
    description: str  # the aria-label: every number of the chart in words
    height: int
    bars: list[Bar]
    horizontal: bool
    width: int = WIDTH


def _scaled(value: int, peak: int, room: int) -> int:
    """The length of a bar for ``value`` where ``peak`` fills ``room``; a
    bar for any count above zero stays visible."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, round(room * value / peak))


def parties(n: int) -> str:
    return ngettext("%(count)s party", "%(count)s parties", n) % {"count": intcomma(n)}


def visitors(n: int) -> str:
    return ngettext("%(count)s visitor", "%(count)s visitors", n) % {"count": intcomma(n)}


# A horizontal bar chart's rows: label column, bar room, row height.
LABEL_COLUMN = 100
BAR_ROOM = 220
ROW = 26


def funnel(summary: RoundSummary) -> Chart:
    """A round's funnel: entries, then those placed, confirmed and checked in."""
    steps = [
        (_("Entries"), summary.entries),
        (_("Placed"), summary.placed),
        (_("Confirmed"), summary.offers.get("confirmed", 0)),
        (_("Checked in"), summary.checked_in),
    ]
    peak = max(value for _label, value in steps)
    bars = []
    for row, (label, value) in enumerate(steps):
        width = _scaled(value, peak, BAR_ROOM)
        y = 8 + row * ROW
        bars.append(
            Bar(label, value, parties(value), LABEL_COLUMN, y, width, ROW - 8,
                LABEL_COLUMN - 6, y + 13, LABEL_COLUMN + width + 6, y + 13)
        )  # fmt: skip
    numbers = ", ".join(f"{bar.label}: {bar.text}" for bar in bars)
    title = _("Round %(round)s from entry to gate") % {"round": summary.round.code}
    return Chart(title, f"{title}. {numbers}", 8 + len(steps) * ROW, bars, horizontal=True)


# A column chart of the months: column pitch, bar width, bar room, baseline.
PITCH = 33
COLUMN = 22
COLUMN_ROOM = 110
BASELINE = 135


def months(title: str, counts: Sequence[int]) -> Chart:
    """Visitors in each month of a year, January first."""
    peak = max(counts, default=0)
    bars = []
    for index, value in enumerate(counts):
        height = _scaled(value, peak, COLUMN_ROOM)
        x = 14 + index * PITCH
        middle = x + COLUMN // 2
        label = str(dates.MONTHS_3[index + 1]).capitalize()
        bars.append(
            Bar(label, value, visitors(value), x, BASELINE - height, COLUMN, height,
                middle, BASELINE + 14, middle, BASELINE - height - 4)
        )  # fmt: skip
    numbers = ", ".join(f"{bar.label}: {bar.text}" for bar in bars)
    return Chart(title, f"{title}. {numbers}", BASELINE + 22, bars, horizontal=False)


@dataclass(frozen=True)
class Progress:
    title: str
    description: str
    done: int
    target: int
    share: float  # percent of the target, to two places
    width: int  # of the filled part of the track
    track: int = WIDTH - 20


def progress(done: int, target: int, year: int) -> Progress:
    """Visits so far this year against the city's yearly target."""
    share = round(100 * done / target, 2) if target else 0.0
    track = WIDTH - 20
    width = min(track, _scaled(done, target, track)) if target else 0
    title = _("Progress to the city's target for %(year)s") % {"year": year}
    description = _("%(done)s of the city's target of %(target)s visits (%(share)s%%)") % {
        "done": intcomma(done),
        "target": intcomma(target),
        "share": share,
    }
    return Progress(title, f"{title}: {description}", done, target, share, width)
