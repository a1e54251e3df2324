"""Several reports of the same events: other outlets' reports of a wire report's events, the same day.

Each wire report (facts.synthetic.news) picks, for every event it states, how many other outlets also report it
(EXTRA_REPORTS_CUM: about a quarter of the events end up cited by 2 to 4 sources). Outlet j's report, published the
same day, restates in its own text every event that j or more outlets report, with the wire's date expression, so
each of its spans cites the wire's event and the event's date still resolves the same against the report's date:
corroboration, for `sources_count` and `min_sources`. The first outlet's report also states a few events of the wire
report as events of its own (DUPLICATE_RATE): same CAMEO code, same interval, the same two actors, the title
reworded; facts.duplicates finds each as a probable duplicate of the wire's event, as a curator would want.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bench.synthetic.base import Batch, GeneratorBase
from bench.synthetic.vocabulary import CAMEO_ROOTS, SYNTHETIC_PREFIX, VERBS
from facts.models import Participant

# The other outlets, in order: outlet j reports the events that at least j other outlets report.
OUTLETS = ("Synthetic Courier", "Synthetic Herald", "Synthetic Ledger")
# Cumulative shares of events reported by 0, 1, 2 or 3 other outlets: 72% by the wire alone, 16% by two sources,
# 8% by three, 4% by four.
EXTRA_REPORTS_CUM = (0.72, 0.88, 0.96, 1.0)
# The share of a wire report's events that the first outlet also states as an event of its own (a duplicate).
DUPLICATE_RATE = 0.02


@dataclass(frozen=True)
class Reported:
    """What a second report needs of a wire report's event to restate it."""

    pk: int
    lead: str  # the date expression as the sentence opens with it ("On Sunday, "), or ""
    dates: tuple  # (date_text, date_start, date_end, date_precision)
    root: str
    code: str
    place: tuple
    actors: tuple  # the first two actors, (id, slug, name, ...)
    roles: tuple  # their roles
    outlets: int  # how many other outlets report it
    duplicated: bool  # whether the first outlet also states it as an event of its own


class SecondReports(GeneratorBase):
    """Other outlets' reports of the events of a wire report, and the events they state twice."""

    def _other_outlets(self) -> int:
        r = self.rng.random()
        return next(k for k, bound in enumerate(EXTRA_REPORTS_CUM) if r < bound)

    def _wire_event_slots(self, remaining: int) -> tuple[int, bool]:
        """For an event of a wire report, with `remaining` events left to make after it: how many other outlets
        report it, and whether the first also states it as an event of its own (which takes one of the remaining)."""
        return self._other_outlets(), remaining > 0 and self.rng.random() < DUPLICATE_RATE

    def _second_reports(self, batch: Batch, index: int, published, country: str, reported: list[Reported]):
        """Outlet j's report of the wire report `index`: the events j or more outlets report, and (the first
        outlet) the duplicates of its events."""
        duplicated = [item for item in reported if item.duplicated]
        for j, outlet in enumerate(OUTLETS, start=1):
            cited = [item for item in reported if item.outlets >= j]
            doubles = duplicated if j == 1 else []
            if not cited and not doubles:
                continue
            title = f"{outlet} report {self.seed}-{index + 1}-{j}: developments in {country}"
            parts, pos, spans = [title, "\n\n"], len(title) + 2, []
            for item, pk in [(item, item.pk) for item in cited] + [(d, self._duplicate(batch, d)) for d in doubles]:
                a, b = item.actors[0][2], item.actors[1][2]
                text = f"{item.lead}{a} {VERBS[item.root]} {b} in {item.place[2]}, {outlet} reported."
                spans.append((pos, pos + len(text), pk))
                parts.append(text + " ")
                pos += len(text) + 1
            slug = f"{SYNTHETIC_PREFIX}{self.seed}-{index + 1:07d}-{j}"
            self._report(batch, slug, title, outlet, published, "".join(parts).rstrip(), spans)

    def _duplicate(self, batch: Batch, item: Reported) -> int:
        """A second event for `item`, as another outlet states it: the same code, dates and two actors."""
        pk, ts = self._id("event"), self.now
        label = self.labels.get(item.code, CAMEO_ROOTS.get(item.root, "Event")).lower()
        a, b = item.actors[0][2], item.actors[1][2]
        title = f"{label} in {item.place[2]}: {a} and {b}"[:300]
        date_text, start, end, precision = item.dates
        row = (pk, title, "", item.code, item.place[0], None, "draft", date_text, start, end, precision, ts, ts, 1)
        batch.add("event", row)
        copy = Participant.event_copy(start, end, item.code).values()
        for actor, role in zip(item.actors, item.roles, strict=True):
            batch.add("participant", (self._id("participant"), pk, actor[0], role, *copy, ts, ts))
        return pk

    def _report(self, batch: Batch, slug: str, title: str, outlet: str, published, text: str, spans: list):
        sid, ts = self._id("source"), self.now
        checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
        batch.add("source", (sid, slug, title, outlet, "", published, "en", text, checksum, self.external, ts, ts))
        for start, end, pk in spans:
            row = (self._id("evidence"), sid, start, end, text[start:end], pk, None, None, None, ts, ts)
            batch.add("evidence", row)
