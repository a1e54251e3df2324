"""Resolve a date expression, as a source words it, into an earliest..latest interval against a reference date.

News text dates events relative to its publication ("on Sunday", "last week", "November last year"). The
expression is kept verbatim on the fact; this module turns it into the interval that date filters compare against.
Weekday and month names without a year point back in time: a news report speaks of the most recent such day.
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


@dataclass(frozen=True)
class Resolved:
    start: date
    end: date
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


def resolve_date(expression: str, reference: date) -> Resolved:
    """Resolve `expression` against `reference` (the publication date) or raise UnresolvableDate."""
    try:
        return _resolve(expression, reference)
    except UnresolvableDate:
        raise
    except ValueError as exc:
        # A well-formed expression can still name no real day ("30 February 2023"); callers expect one error type.
        raise UnresolvableDate(f"The date expression “{expression}” names no real date: {exc}.") from exc


def _resolve(expression: str, reference: date) -> Resolved:
    text = " ".join(expression.strip().lower().replace(",", " ").split())
    while True:
        stripped = _LEAD.sub("", text)
        if stripped == text:
            break
        text = stripped
    if not text:
        raise UnresolvableDate("The date expression is empty.")

    if text in ("today", "this morning", "this afternoon", "this evening", "tonight"):
        return _day(reference)
    if text in ("yesterday", "last night"):
        return _day(reference - timedelta(days=1))
    if text in WEEKDAYS:
        back = (reference.weekday() - WEEKDAYS[text]) % 7
        return _day(reference - timedelta(days=back))
    if m := re.fullmatch(r"(last|this|next) (week|month|year)", text):
        which, unit = m.groups()
        step = {"last": -1, "this": 0, "next": 1}[which]
        if unit == "week":
            return _week_interval(reference + timedelta(weeks=step))
        if unit == "year":
            return _year_interval(reference.year + step)
        month_index = reference.year * 12 + reference.month - 1 + step
        return _month_interval(month_index // 12, month_index % 12 + 1)
    if m := re.fullmatch(_MONTH + r" (last|this) year", text):
        month, which = m.groups()
        return _month_interval(reference.year - (1 if which == "last" else 0), MONTHS[month])
    if m := re.fullmatch(_MONTH, text):
        return _recent_month(MONTHS[m.group(1)], reference)
    if m := re.fullmatch(_MONTH + r" (\d{4})", text):
        return _month_interval(int(m.group(2)), MONTHS[m.group(1)])
    if m := re.fullmatch(r"(\d{1,2}) " + _MONTH + r" (\d{4})", text):
        return _day(date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1))))
    if m := re.fullmatch(_MONTH + r" (\d{1,2}) (\d{4})", text):
        return _day(date(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2))))
    if m := re.fullmatch(_MONTH + r" (\d{1,2})", text) or re.fullmatch(r"(\d{1,2}) " + _MONTH, text):
        month_name, day_number = (m.group(1), m.group(2)) if m.group(1).isalpha() else (m.group(2), m.group(1))
        candidate = date(reference.year, MONTHS[month_name], int(day_number))
        return _day(candidate if candidate <= reference else candidate.replace(year=reference.year - 1))
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        return _day(date(*map(int, m.groups())))
    if m := re.fullmatch(r"(\d{4})", text):
        return _year_interval(int(m.group(1)))
    if m := re.fullmatch(r"(\d{3})0s", text):
        decade = int(m.group(1)) * 10
        return Resolved(date(decade, 1, 1), date(decade + 9, 12, 31), Precision.DECADE)
    raise UnresolvableDate(f"Cannot resolve the date expression “{expression}”.")
