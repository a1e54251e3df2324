"""Resolve a date expression, as a source words it, into an earliest..latest interval against a reference date.

News text dates events relative to its publication ("on Sunday", "last week", "November last year"). The
expression is kept verbatim on the fact; this module turns it into the interval that date filters compare against.
Weekday and month names without a year point back in time: a news report speaks of the most recent such day.

The tense matters as much as the words. What the source reports as past (`reported="past"`, the default: "tensions
have spiked this week") ended no later than the publication date, so its interval is cut there: "this week" in a
report published on Monday is that Monday alone. Only what the source presents as present (`"present"`: holding at
publication) or as expected (`"future"`: "the expected four days of talks") may reach beyond it. An expression that
contradicts its tense ("next week" reported as past) is refused, never bent.

An unknown bound stays open (None, stored as NULL, precision "open"), never guessed: a fact the source places only
before publication (`undated()`) ends at publication with an unknown start. The precision always describes the
interval as returned (`fitting_precision`): a cut interval that is no longer a whole week is a day or a "range".
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models


class Precision(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"
    DECADE = "decade", "Decade"
    # Two known bounds that are no single day, week, month, year or decade (e.g. 2020..publication).
    RANGE = "range", "Range between two known bounds"
    # One bound unknown (stored as NULL): the fact began, or ends, no one knows when.
    OPEN = "open", "Open: one bound unknown"


class UnresolvableDate(ValueError):
    """The expression is not one this resolver understands."""


# The tense (or aspect) in which a source reports a fact: resolve_date(..., reported=...).
PAST, PRESENT, FUTURE = "past", "present", "future"
REPORTED = (PAST, PRESENT, FUTURE)


@dataclass(frozen=True)
class Resolved:
    """An earliest..latest interval; None is an unknown (open) bound."""

    start: date | None
    end: date | None
    precision: str


WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_LEAD = re.compile(r"^(on|in|during|since|by|from|at|earlier|early|late|the)\s+", re.I)


def _month_interval(year: int, month: int) -> Resolved:
    return Resolved(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), Precision.MONTH)


def _week_interval(day: date) -> Resolved:
    monday = day - timedelta(days=day.weekday())
    return Resolved(monday, monday + timedelta(days=6), Precision.WEEK)


def _year_interval(year: int) -> Resolved:
    return Resolved(date(year, 1, 1), date(year, 12, 31), Precision.YEAR)


def _day(day: date) -> Resolved:
    return Resolved(day, day, Precision.DAY)


def _recent_month(month: int, reference: date) -> Resolved:
    year = reference.year if month <= reference.month else reference.year - 1
    return _month_interval(year, month)


def fitting_precision(start: date | None, end: date | None) -> str:
    """The precision that describes start..end truthfully: "" undated, "open" with one bound unknown, the calendar
    unit the two bounds span exactly (day, Monday-to-Sunday week, month, year, decade), else "range"."""
    if start is None and end is None:
        return ""
    if start is None or end is None:
        return Precision.OPEN
    if start == end:
        return Precision.DAY
    if start.weekday() == 0 and end - start == timedelta(days=6):
        return Precision.WEEK
    if (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and end == _month_interval(end.year, end.month).end
    ):
        return Precision.MONTH
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        if start.year == end.year:
            return Precision.YEAR
        if start.year % 10 == 0 and end.year == start.year + 9:
            return Precision.DECADE
    return Precision.RANGE


def precision_refused(precision: str, start: date | None, end: date | None) -> str | None:
    """Why `precision` misdescribes start..end, or None. "range" fits any two known bounds (it claims no unit);
    day, week (any 7 days), month, year and decade must be exactly that span; "open" needs one bound unknown."""
    fitting = fitting_precision(start, end)
    if precision == fitting or (precision == Precision.RANGE and start is not None and end is not None):
        return None
    if precision == Precision.WEEK and start is not None and end is not None and end - start == timedelta(days=6):
        return None  # a week that starts on another day than Monday (a source's own week) is still a week
    if start is None and end is None:
        return "An undated fact has no precision."
    if start is None or end is None:
        return "An interval with an unknown (open) bound has precision “open”."
    if precision == Precision.OPEN:
        return f"Both bounds are known, so the precision is not “open”: give “{fitting}” (or “range”)."
    shown = dict(Precision.choices).get(precision, precision or "none").lower()
    instead = "“range”" if fitting == Precision.RANGE else f"“{fitting}” (or “range”)"
    return f"{start.isoformat()}..{end.isoformat()} is not one {shown}: give {instead}, or the bounds of one {shown}."


def undated(reference: date, *, reported: str = PAST) -> Resolved:
    """The interval of a fact the source words without a date, bounded by its tense alone.

    Past (happened before publication) and present (holds as of publication): start unknown, end = `reference`.
    Expected: start = `reference`, end unknown. The unknown bound stays open: it is never guessed.
    """
    _check_reported(reported)
    if reported == FUTURE:
        return Resolved(reference, None, Precision.OPEN)
    return Resolved(None, reference, Precision.OPEN)


def resolve_date(expression: str, reference: date, *, reported: str = PAST) -> Resolved:
    """Resolve `expression` against `reference` (the publication date) in the tense the source reports the fact in,
    or raise UnresolvableDate.

    `reported`: "past" (default; the interval ends no later than `reference`), "present" (the fact holds at
    `reference`: the interval must contain it) or "future" (what the source presents as expected: it must not end
    before `reference`). A past interval that runs beyond `reference` is cut there and its precision recomputed.
    """
    _check_reported(reported)
    try:
        resolved = _resolve(expression, reference)
    except UnresolvableDate:
        raise
    except (ValueError, OverflowError) as exc:
        # A well-formed expression can still name no real day ("30 February 2023"), or one outside the calendar
        # ("yesterday" of 1 January 1, where date arithmetic overflows); callers expect one error type.
        raise UnresolvableDate(f"The date expression “{expression}” names no real date: {exc}.") from exc
    return _in_tense(expression, resolved, reference, reported)


def _check_reported(reported: str) -> None:
    if reported not in REPORTED:
        raise ValueError(f"reported must be one of {', '.join(REPORTED)}; got {reported!r}.")


_EXPECTED_WORDS = re.compile(r"\b(expected|scheduled|planned|upcoming)\b", re.I)


def _in_tense(expression: str, resolved: Resolved, reference: date, reported: str) -> Resolved:
    start, end = resolved.start, resolved.end
    if reported == PAST:
        if _EXPECTED_WORDS.search(expression):
            raise UnresolvableDate(
                f"“{expression}” presents the fact as expected, but it is resolved as reported "
                "in the past: resolve it as expected (future)."
            )
        if start is not None and start > reference:
            raise UnresolvableDate(
                f"“{expression}” lies after the publication date ({reference.isoformat()}), but "
                "the fact is reported as past: if the source presents it as expected, say so."
            )
        if end is None or end > reference:
            end = reference
    elif reported == PRESENT:
        if (start is not None and start > reference) or (end is not None and end < reference):
            raise UnresolvableDate(
                f"“{expression}” does not include the publication date "
                f"({reference.isoformat()}), but the fact is reported as holding then."
            )
    elif end is not None and end < reference:
        raise UnresolvableDate(
            f"“{expression}” ends before the publication date ({reference.isoformat()}), but "
            "the fact is presented as expected."
        )
    if (start, end) == (resolved.start, resolved.end):
        return resolved
    return Resolved(start, end, fitting_precision(start, end))


def _resolve(expression: str, reference: date) -> Resolved:
    text = _normalized(expression)
    if not text:
        raise UnresolvableDate("The date expression is empty.")
    for pattern, rule in _RULES:
        if m := pattern.fullmatch(text):
            return rule(m, reference)
    if duration := _duration(text, reference):
        return duration
    raise UnresolvableDate(f"Cannot resolve the date expression “{expression}”.")


def _normalized(expression: str) -> str:
    """Lower case, commas and runs of spaces as one space, leading prepositions ("on", "in the", ...) dropped."""
    text = " ".join(expression.strip().lower().replace(",", " ").split())
    while True:
        stripped = _LEAD.sub("", text)
        if stripped == text:
            return text
        text = stripped


_STEPS = {"last": -1, "this": 0, "next": 1}


def _today(m: re.Match, reference: date) -> Resolved:
    return _day(reference)


def _yesterday(m: re.Match, reference: date) -> Resolved:
    return _day(reference - timedelta(days=1))


def _weekday(m: re.Match, reference: date) -> Resolved:
    back = (reference.weekday() - WEEKDAYS[m.group(1)]) % 7
    return _day(reference - timedelta(days=back))


def _relative_week(m: re.Match, reference: date) -> Resolved:
    return _week_interval(reference + timedelta(weeks=_STEPS[m.group(1)]))


def _relative_month(m: re.Match, reference: date) -> Resolved:
    month_index = reference.year * 12 + reference.month - 1 + _STEPS[m.group(1)]
    return _month_interval(month_index // 12, month_index % 12 + 1)


def _relative_year(m: re.Match, reference: date) -> Resolved:
    return _year_interval(reference.year + _STEPS[m.group(1)])


def _month_of_relative_year(m: re.Match, reference: date) -> Resolved:
    month, which = m.groups()
    return _month_interval(reference.year + _STEPS[which], MONTHS[month])


def _month_alone(m: re.Match, reference: date) -> Resolved:
    return _recent_month(MONTHS[m.group(1)], reference)


def _month_year(m: re.Match, reference: date) -> Resolved:
    return _month_interval(int(m.group(2)), MONTHS[m.group(1)])


def _day_month_year(m: re.Match, reference: date) -> Resolved:
    return _day(date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1))))


def _month_day_year(m: re.Match, reference: date) -> Resolved:
    return _day(date(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2))))


def _recent_day(month_name: str, day_number: str, reference: date) -> Resolved:
    # A day and month without a year: the most recent such day, this year's unless it is still to come.
    candidate = date(reference.year, MONTHS[month_name], int(day_number))
    return _day(candidate if candidate <= reference else candidate.replace(year=reference.year - 1))


def _month_day(m: re.Match, reference: date) -> Resolved:
    return _recent_day(m.group(1), m.group(2), reference)


def _day_month(m: re.Match, reference: date) -> Resolved:
    return _recent_day(m.group(2), m.group(1), reference)


def _iso_day(m: re.Match, reference: date) -> Resolved:
    return _day(date(*map(int, m.groups())))


def _year(m: re.Match, reference: date) -> Resolved:
    return _year_interval(int(m.group(1)))


def _decade(m: re.Match, reference: date) -> Resolved:
    decade = int(m.group(1)) * 10
    return Resolved(date(decade, 1, 1), date(decade + 9, 12, 31), Precision.DECADE)


def _lasting(m: re.Match, reference: date) -> Resolved:
    # "their decades-long standoff": it has lasted at least two decades (two years for "years-long"...), so it
    # began no later than that long before `reference`. That is an upper bound on the start, which an
    # earliest..latest interval cannot hold: the start stays open (unknown, NULL), never guessed, and the
    # interval ends at `reference`, as of which the source reports it. The minimum itself is not stored.
    return Resolved(None, reference, Precision.OPEN)


# "decades-long", "years-long", "a year-long" ...: a state that has lasted (at least) that long as of the reference.
_LASTING = r"(?:a |an )?(?:decades?|years?|months?|weeks?|days?)[- ]long"

# Each kind of expression and its resolver, tried in this order on the whole normalized text; the first whose
# pattern matches it all decides. The order matters where two patterns could both match.
_RULES = [
    (re.compile(pattern), rule)
    for pattern, rule in (
        (r"today|this morning|this afternoon|this evening|tonight", _today),
        (r"yesterday|last night", _yesterday),
        ("(" + "|".join(WEEKDAYS) + ")", _weekday),
        (r"(last|this|next) week", _relative_week),
        (r"(last|this|next) month", _relative_month),
        (r"(last|this|next) year", _relative_year),
        (_MONTH + r" (last|this) year", _month_of_relative_year),
        (_MONTH, _month_alone),
        (_MONTH + r" (\d{4})", _month_year),
        (r"(\d{1,2}) " + _MONTH + r" (\d{4})", _day_month_year),
        (_MONTH + r" (\d{1,2}) (\d{4})", _month_day_year),
        (_MONTH + r" (\d{1,2})", _month_day),
        (r"(\d{1,2}) " + _MONTH, _day_month),
        (r"(\d{4})-(\d{2})-(\d{2})", _iso_day),
        (r"(\d{4})", _year),
        (r"(\d{3})0s", _decade),
        (_LASTING, _lasting),
    )
]

_COUNTS = {
    word: n for n, word in enumerate("one two three four five six seven eight nine ten eleven twelve".split(), start=1)
}
_DURATION = re.compile(
    r"(?:(?:expected|scheduled|planned) )?(\d{1,3}|" + "|".join(_COUNTS) + r") (day|week)s?"
    r"(?: of .+?)?(?: (?:from|starting|beginning|on))?"
)


def _duration(text: str, reference: date) -> Resolved | None:
    """A duration that starts on a day the expression names: "four days from Monday", "the expected four days of
    talks between the two sides Monday" (the article's words): that day and the days after it, N days (or weeks) in
    all. The day is the shortest tail of the expression that resolves to one day; what comes between is the
    duration's subject ("of talks ..."), which does not date anything."""
    words = text.split()
    for cut in range(len(words) - 1, 0, -1):
        head = _DURATION.fullmatch(" ".join(words[:cut]))
        if head is None:
            continue
        try:
            anchor = _resolve(" ".join(words[cut:]), reference)
        except (UnresolvableDate, ValueError):
            continue
        if anchor.precision != Precision.DAY or anchor.start is None:
            continue
        count = int(head.group(1)) if head.group(1).isdigit() else _COUNTS[head.group(1)]
        if count < 1:
            return None
        days = count * (7 if head.group(2) == "week" else 1)
        end = anchor.start + timedelta(days=days - 1)
        return Resolved(anchor.start, end, fitting_precision(anchor.start, end))
    return None
