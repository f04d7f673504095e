"""Charts drawn on the server as SVG: the geometry here, the words in the
templates. No script draws them, nothing comes from another host and no style
attribute is used (the CSP allows neither): bars take their colour from the
stylesheet by class. Each chart's ``description`` states every number in words
(its ``aria-label``), and each page shows a data table beside it.

The dashboards' charts (:func:`funnel`, :func:`months`, :func:`progress`) and
the public history's share of entries placed (:func:`share_chart`) share one
:class:`Bar` and one :class:`Chart`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import dates, formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tourdraw.reports.stats import PastRound, RoundSummary

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
    track: int = 0  # the width of 100 %, drawn behind each bar, if any


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


# The history's share chart: tall rather than wide, to read on a phone; each
# round's label on a line of its own above its bar.
SHARE_WIDTH = 320
SHARE_ROW = 40
SHARE_BAR = 14
SHARE_ROOM = 250  # the width of a bar at 100 %, leaving room for the value after it


def share_chart(past: Sequence[PastRound], tz: tzinfo) -> Chart:
    """One horizontal bar per drawn round, its length the share of entries placed;
    each labelled with the day of its draw in ``tz``, the site's time zone."""
    bars = []
    for index, row in enumerate(past):
        top = index * SHARE_ROW
        width = round(row.share * SHARE_ROOM)
        drawn_at = timezone.localtime(row.round.draw.drawn_at, tz)
        label = f"{row.round.tr('title')} · {formats.date_format(drawn_at, 'SHORT_DATE_FORMAT')}"
        text = _("%(placed)s of %(entries)s entries placed (%(percent)s%%)") % {
            "placed": row.placed,
            "entries": row.entries,
            "percent": row.percent,
        }
        bars.append(
            Bar(label, row.percent, text, 0, top + 18, width, SHARE_BAR,
                0, top + 12, width + 4, top + 18 + SHARE_BAR - 3)
        )  # fmt: skip
    title = _("Share of entries placed, by round")
    numbers = "; ".join(
        f"{row.round.tr('title')}: {bar.text}" for row, bar in zip(past, bars, strict=True)
    )
    return Chart(
        title,
        f"{title}. {numbers}" if bars else title,
        max(len(past), 1) * SHARE_ROW,
        bars,
        horizontal=True,
        width=SHARE_WIDTH,
        track=SHARE_ROOM,
    )
