"""Synthetic news text and the facts it supports: events, participants, statements, relations, affiliations
and the evidence spans that cite them."""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta
from functools import lru_cache

from bench.synthetic.base import Batch
from bench.synthetic.reports import Reported, SecondReports
from bench.synthetic.vocabulary import (
    AFFILIATIONS_PER_SOURCE,
    CAMEO_ROOTS,
    CHANNELS,
    PARAPHRASES,
    PARTIALS,
    QUOTES,
    RELATION_PHRASES,
    RELATION_RATE,
    ROLE_TITLES,
    ROLES,
    STATEMENT_RATE,
    SYNTHETIC_PREFIX,
    VERBS,
)
from facts.dates import resolve_date
from facts.models import INTERVAL_FIELDS, Participant, dates_at_event


@lru_cache(maxsize=200_000)
def _resolve(expression: str, reference: date):
    return resolve_date(expression, reference)


class News(SecondReports):
    """Synthetic news reports and who's-who profiles: their text, and the facts and evidence spans taken from it;
    other outlets' reports of the same events (SecondReports)."""

    # -- text --------------------------------------------------------------------------------------------------
    def _date_expression(self, published: date) -> tuple[str, object]:
        r = self.rng.random()
        if r < 0.25:
            text = f"on {calendar.day_name[self.rng.randrange(7)]}"
        elif r < 0.35:
            text = "yesterday"
        elif r < 0.45:
            text = "last week"
        elif r < 0.55:
            text = "earlier this month"
        elif r < 0.65:
            text = f"in {calendar.month_name[self.rng.randrange(1, 13)]}"
        elif r < 0.70:
            text = "last year"
        elif r < 0.95:
            day = published - timedelta(days=self.rng.randrange(1, 60))
            text = f"on {day.day} {calendar.month_name[day.month]} {day.year}"
        else:
            return "", None
        return text, _resolve(text, published)

    def _pick_actors(self, k: int) -> list[tuple]:
        chosen, seen = [], set()
        for a in self.rng.choices(self.all_actors, cum_weights=self.actor_cum, k=k + 2):
            if a[0] not in seen:
                seen.add(a[0])
                chosen.append(a)
        while len(chosen) < k:
            a = self.all_actors[self.rng.randrange(len(self.all_actors))]
            if a[0] not in seen:
                seen.add(a[0])
                chosen.append(a)
        return chosen[:k]

    def _source(self, batch: Batch, index: int, n_events: int):
        """One synthetic news report: its text, and the events, statements and relations it supports."""
        rng = self.rng
        published = date(2000, 1, 1) + timedelta(days=rng.randrange(26 * 365))
        country = self.countries[rng.randrange(len(self.countries))][2]
        title = f"Synthetic wire report {self.seed}-{index + 1}: developments in {country}"
        parts, pos = [title, "\n\n"], len(title) + 2
        spans = []  # (start, end, fact key, fact id)
        ts = self.now
        last_event = None

        def sentence(text: str, key: str, pk: int):
            nonlocal pos
            text = text[0].upper() + text[1:]
            spans.append((pos, pos + len(text), key, pk))
            parts.append(text)
            parts.append(" " if len(spans) % 4 else "\n\n")
            pos += len(text) + 1 + (len(spans) % 4 == 0)

        def dated(published):
            text, resolved = self._date_expression(published)
            if resolved is None:
                return "", published, published, "day", ""
            return text, resolved.start, resolved.end, resolved.precision, text[0].upper() + text[1:] + ", "

        made, reported = 0, list[Reported]()
        while made < n_events:
            root = self.roots[self._bisect(self.root_cum, rng.random() * self.root_cum[-1])]
            code = rng.choice(self.type_choices[root])
            place = self.leaf_places[self._bisect(self.place_cum, rng.random() * self.place_cum[-1])]
            n_part = 2 if rng.random() < 0.35 else (3 if rng.random() < 0.54 else 4)
            actors = self._pick_actors(n_part)
            date_text, start, end, precision, lead = dated(published)
            pk = self._id("event")
            a, b = actors[0][2], actors[1][2]
            others = "".join(f", with {x[2]} attending" for x in actors[2:3])
            text = f"{lead}{a} {VERBS[root]} {b} in {place[2]}{others}."
            label = self.labels.get(code, CAMEO_ROOTS.get(root, "Event"))
            title_text = f"{a} and {b}: {label.lower()} in {place[2]}"[:300]
            parent: int | None = last_event if (last_event and rng.random() < 0.02) else None
            status = "verified" if rng.random() < 0.1 else "reviewed"
            outlets, duplicated = self._wire_event_slots(n_events - made - 1)
            # Its sources: this report and the other outlets'. The triggers count the spans all the same (migration
            # 0020); written here, their recount after the batch's spans finds nothing to change.
            row = (pk, title_text, "", code, place[0], parent, status, date_text, start, end, precision, ts, ts)
            batch.add("event", (*row, 1 + outlets))
            first, second = ROLES.get(root, ("initiator", "target"))
            for i, actor in enumerate(actors):
                role = (
                    first
                    if i == 0
                    else second
                    if i == 1
                    else ("mediator" if i == 2 and rng.random() < 0.3 else "attendee")
                )
                copy = Participant.event_copy(start, end, code).values()
                batch.add("participant", (self._id("participant"), pk, actor[0], role, *copy, ts, ts))
            sentence(text, "event", pk)
            last_event = pk
            made += 1 + duplicated
            dates = (date_text, start, end, precision)
            roles = (first, second)
            reported.append(Reported(pk, lead, dates, root, code, place, tuple(actors[:2]), roles, outlets, duplicated))
            if rng.random() < STATEMENT_RATE:
                self._statement(
                    batch,
                    sentence,
                    dated,
                    published,
                    pk,
                    actors,
                    place,
                    event_dates=dict(zip(INTERVAL_FIELDS, (start, end, precision), strict=False)),
                )
            if rng.random() < RELATION_RATE:
                self._relation(batch, sentence, dated, published)

        text = "".join(parts).rstrip()
        sid = self._id("source")
        checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
        batch.add(
            "source",
            (
                sid,
                f"{SYNTHETIC_PREFIX}{self.seed}-{index + 1:07d}",
                title,
                "Synthetic Wire",
                "",
                published,
                "en",
                text,
                checksum,
                self.external,
                ts,
                ts,
            ),
        )
        for start, end, key, pk in spans:
            quote = text[start:end]
            refs = [pk if key == k else None for k in ("event", "statement", "relation", "affiliation")]
            batch.add("evidence", (self._id("evidence"), sid, start, end, quote, *refs, ts, ts))
        self._second_reports(batch, index, published, country, reported)

    @staticmethod
    def _bisect(cum: list[float], x: float) -> int:
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _statement(self, batch, sentence, dated, published, event_id, actors, place, event_dates):
        rng = self.rng
        pool = (self.persons or self.states) if rng.random() < 0.75 else (self.unnamed or self.states)
        speaker = pool[rng.randrange(len(pool))]
        about = actors[1] if actors[1][0] != speaker[0] else actors[0]
        date_text, start, end, precision, lead = dated(published)
        channel = rng.choice(CHANNELS)
        kind = rng.choice(("quote", "quote", "partial", "paraphrase", "paraphrase"))
        if kind == "quote":
            words = rng.choice(QUOTES).format(place=place[2], actor=about[2])
            text = f'{lead}{speaker[2]} said {channel}: "{words}."'
        elif kind == "partial":
            words = rng.choice(PARTIALS)
            text = f'{lead}{speaker[2]} described the situation as "{words}" {channel}.'
        else:
            words = rng.choice(PARAPHRASES).format(place=place[2], actor=about[2])
            text = f"{lead}{speaker[2]} said {channel} that {words}."
        pk = self._id("statement")
        linked = event_id if rng.random() < 0.5 else None
        # Bulk rows skip Statement.save(): the rule it applies, applied here (said at the event, undated itself).
        if (inherited := dates_at_event(date_text, event_dates if linked else None)) is not None:
            start, end, precision = (inherited[name] for name in INTERVAL_FIELDS)
        status = "verified" if rng.random() < 0.1 else "reviewed"
        batch.add(
            "statement",
            (
                pk,
                speaker[0],
                words,
                kind,
                channel,
                linked,
                status,
                date_text,
                start,
                end,
                precision,
                self.now,
                self.now,
                1,  # sources_count: this report
            ),
        )
        batch.add("about_actor", (self._id("about_actor"), pk, about[0]))
        if rng.random() < 0.5:
            batch.add("about_place", (self._id("about_place"), pk, place[0]))
        if rng.random() < 0.3:
            batch.add("about_event", (self._id("about_event"), pk, event_id))
        sentence(text, "statement", pk)

    def _relation(self, batch, sentence, dated, published):
        rng = self.rng
        subject, obj = rng.sample(self.states + self.orgs[:50], 2)
        rtype = rng.choice(list(RELATION_PHRASES))
        date_text, start, end, precision, lead = dated(published)
        pk = self._id("relation")
        status = "reviewed"
        batch.add(
            "relation",
            (pk, subject[0], obj[0], rtype, "", status, date_text, start, end, precision, self.now, self.now, 1),
        )
        sentence(f"{lead}{subject[2]} {RELATION_PHRASES[rtype]} {obj[2]}.", "relation", pk)

    def _affiliations(self, batch: Batch):
        """Profiles of persons and unnamed sources, each naming a role: the evidence for their affiliations."""
        rng = self.rng
        members = [p for p in self.persons + self.unnamed if rng.random() < 0.7]
        organisations = self.states + self.orgs
        for index in range(0, len(members), AFFILIATIONS_PER_SOURCE):
            published = date(2000, 1, 1) + timedelta(days=rng.randrange(26 * 365))
            title = f"Synthetic who's who {self.seed}-{index // AFFILIATIONS_PER_SOURCE + 1}"
            parts, pos, spans = [title, "\n\n"], len(title) + 2, []
            for person in members[index : index + AFFILIATIONS_PER_SOURCE]:
                org = organisations[rng.randrange(len(organisations))]
                role = rng.choice(ROLE_TITLES)
                pk = self._id("affiliation")
                batch.add(
                    "affiliation",
                    (
                        pk,
                        person[0],
                        org[0],
                        role,
                        "",
                        published,
                        published,
                        "day",
                        self.no_external,
                        self.now,
                        self.now,
                    ),
                )
                text = f"{person[2]} is the {role} of {org[2]}."
                spans.append((pos, pos + len(text), pk))
                parts.append(text + "\n")
                pos += len(text) + 1
            text = "".join(parts).rstrip()
            sid = self._id("source")
            batch.add(
                "source",
                (
                    sid,
                    f"{SYNTHETIC_PREFIX}{self.seed}-whos-who-{index // AFFILIATIONS_PER_SOURCE + 1}",
                    title,
                    "Synthetic Wire",
                    "",
                    published,
                    "en",
                    text,
                    hashlib.sha256(text.encode()).hexdigest(),
                    self.external,
                    self.now,
                    self.now,
                ),
            )
            for start, end, pk in spans:
                batch.add(
                    "evidence",
                    (self._id("evidence"), sid, start, end, text[start:end], None, None, None, pk, self.now, self.now),
                )
