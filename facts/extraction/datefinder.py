"""Date expressions found in the text and resolved by the project's own resolver, facts.dates.resolve_date.

The finder only decides where an expression starts and ends (with its preposition, as a curator would quote it:
"On Sunday", "in November last year"); what it means is facts.dates' business. One reading is added on top:
"after ... in 2020" and "since 2020" run from the start of the inner date to publication (the resolver alone
would read "since 2020" as the year 2020).
"""

import calendar
import re
from datetime import date

from facts.dates import UnresolvableDate, fitting_precision, resolve_date

from .types import DateMention, Interval

_WEEKDAY = "(?:" + "|".join(calendar.day_name) + ")"
_ABBREVIATIONS = sorted({"Sept", *(name for name in calendar.month_abbr if name)} - {"May"}, key=len, reverse=True)
# A full name, or an abbreviation with its optional dot ("Feb."); a full name's sentence stop is not part of it.
_MONTH = "(?:(?:" + "|".join(n for n in calendar.month_name if n) + r")\b|(?:" + "|".join(_ABBREVIATIONS) + r")\b\.?)"
_YEAR = r"(?:1[89]\d\d|20\d\d)(?![\d-]|s\b)"
_COUNT = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_RELATIVE = (
    r"(?:last|this|next) (?:week|month|year)|today|yesterday|tonight|last night|this (?:morning|afternoon|evening)"
)
_IN = r"(?:(?:[Ii]n|[Dd]uring|[Bb]y|[Ee]arly|[Ll]ate)\s+(?:the\s+)?)?"
_ON = r"(?:[Oo]n\s+)?"

# Each shape the finder looks for, searched separately so that overlapping readings are all found ("Monday" inside
# "the expected four days of talks between the two sides Monday").
_PATTERNS = [
    re.compile(p)
    for p in (
        r"\b(?:[Tt]he\s+)?(?:(?:expected|scheduled|planned)\s+)?"
        + _COUNT
        + r"\s+(?:day|week)s?\s+of\s+[^.,;“”\"]{0,80}?\b"
        + _WEEKDAY
        + r"\b",
        r"\b"
        + _ON
        + r"(?:\d{1,2}\s+"
        + _MONTH
        + r"(?:\s+"
        + _YEAR
        + r")?|"
        + _MONTH
        + r"\s+\d{1,2}(?:,?\s+"
        + _YEAR
        + r")?)(?!\d)",
        r"\b" + _IN + _MONTH + r"(?:\s+(?:last|this) year|,?\s+" + _YEAR + r")?",
        r"\b" + _ON + _WEEKDAY + r"\b",
        r"\b(?<!-)" + _IN + _YEAR,
        r"\b(?:[Tt]he\s+)?\d{3}0s\b",
        r"\b(?:" + _RELATIVE + r")\b",
        r"\b(?:(?:a|an)\s+)?(?:decades?|years?|months?|weeks?|days?)-long\b",
        r"\b\d{4}-\d{2}-\d{2}\b",
    )
]
_AFTER = re.compile(
    r"\b(?:[Aa]fter|[Ss]ince)\s+(?:[a-z]+\s+){0,6}?(?:in\s+)?(?P<inner>" + _MONTH + r"\s+" + _YEAR + "|" + _YEAR + ")"
)
_EXPECTED = re.compile(r"\b(?:expected|scheduled|planned|upcoming|next)\b", re.I)


def interval_of(expression: str, published: date) -> Interval | None:
    """The interval of `expression`: reported as past unless it says it is expected; None if it resolves not."""
    order = ("future", "present", "past") if _EXPECTED.search(expression) else ("past", "present", "future")
    for reported in order:
        try:
            resolved = resolve_date(expression, published, reported=reported)
        except UnresolvableDate:
            continue
        return Interval(resolved.start, resolved.end, resolved.precision)
    return None


def _after(m: re.Match, published: date) -> Interval | None:
    inner = interval_of(m.group("inner"), published)
    if inner is None or inner.start is None or inner.start > published:
        return None
    return Interval(inner.start, published, fitting_precision(inner.start, published))


def find_dates(text: str, published: date) -> list[DateMention]:
    """Every date expression the finder reads and the resolver resolves, in text order, without duplicates."""
    found: dict[tuple[int, int], DateMention] = {}
    for index, pattern in enumerate(_PATTERNS):
        rule = "duration" if index == 0 else "date"
        for m in pattern.finditer(text):
            if m.span() not in found and (interval := interval_of(m.group(), published)):
                found[m.span()] = DateMention(m.group(), m.start(), m.end(), interval, rule=rule)
    for m in _AFTER.finditer(text):
        if m.span() not in found and (interval := _after(m, published)):
            found[m.span()] = DateMention(m.group(), m.start(), m.end(), interval, rule="after-date")
    return sorted(_outermost(list(found.values())), key=lambda mention: (mention.start, -mention.end))


def _outermost(mentions: list[DateMention]) -> list[DateMention]:
    """Drop a reading inside a plain longer one ("last year" in "November last year" means nothing alone); the
    anchor of a duration or of "after ..." ("Monday", "in 2020") is a date of its own and stays."""
    plain = [m for m in mentions if m.rule == "date"]
    return [
        m
        for m in mentions
        if not any(
            o is not m and o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start for o in plain
        )
    ]
