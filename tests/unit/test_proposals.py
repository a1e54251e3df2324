"""`propose_facts` on the seed read as a new article: candidates written to the database, held to issue 19's floors.

A fresh database gets the codebook, the source, the actors with their aliases (and the passages that cite them) and
the places, but none of the article's events, statements or relations; those, from the fixtures, are the answer key.
tests/unit/test_extraction.py measures the engine alone; this measures what reaches the database through the
services, the same path a curator's write takes.
"""

import json
import time
from pathlib import Path

from django.core.management import call_command

from facts.models import Event, EvidenceSpan, Mention, ReviewStatus, Statement
from facts.services.proposals import source_propose

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def _rows(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _records(name: str, model: str) -> dict[int, dict]:
    return {row["pk"]: row["fields"] for row in _rows(name) if row["model"] == model}


def test_the_seed_as_a_new_article_gets_every_curly_quote_with_its_curated_speaker(new_article):
    started = time.perf_counter()
    report = source_propose(source=new_article)
    seconds = time.perf_counter() - started
    text = new_article.text
    curated = _records("05_statements.json", "facts.statement")
    quoted = {
        pk: s
        for pk, s in curated.items()
        if s["kind"] in ("quote", "partial") and f"“{s['text']}" in text or f"{s['text']}”" in text
    }
    proposed = {(s.text, s.speaker_id) for s in Statement.objects.filter(status=ReviewStatus.CANDIDATE)}
    matched = [pk for pk, s in quoted.items() if (s["text"], s["speaker"]) in proposed]
    print(
        f"\nseed: {len(matched)}/{len(quoted)} curly-quoted statements with the curated speaker; "
        f"{len(report.statements)} statements, {len(report.events)} events, {report.mentions} mentions "
        f"in {seconds:.2f} s"
    )
    assert len(quoted) == 12
    assert len(matched) == 12
    assert seconds <= 2


def test_candidate_events_recall_curated_events_by_cameo_root_and_a_shared_participant(new_article):
    source_propose(source=new_article)
    curated = _records("04_events.json", "facts.event")
    participants: dict[int, set[int]] = {}
    for row in _records("04_events.json", "facts.participant").values():
        participants.setdefault(row["event"], set()).add(row["actor"])
    candidates = [
        (event.event_type_id[:2], set(event.participants.values_list("actor_id", flat=True)))
        for event in Event.objects.filter(status=ReviewStatus.CANDIDATE)
    ]

    def found(pk):
        return any(
            root == curated[pk]["event_type"][:2] and actors & participants.get(pk, set())
            for root, actors in candidates
        )

    recalled = [pk for pk in curated if found(pk)]
    correct = [
        c
        for c in candidates
        if any(c[0] == e["event_type"][:2] and c[1] & participants.get(pk, set()) for pk, e in curated.items())
    ]
    recall, precision = len(recalled) / len(curated), len(correct) / len(candidates)
    print(
        f"\nseed events: recall {recall:.1%} ({len(recalled)}/{len(curated)}), precision {precision:.1%} "
        f"({len(correct)}/{len(candidates)})"
    )
    assert recall >= 0.6


def test_every_candidate_cites_exact_spans_and_names_its_rule(new_article):
    source_propose(source=new_article)
    spans = EvidenceSpan.objects.filter(source=new_article).exclude(event=None, statement=None)
    assert spans.exists()
    for span in spans:
        assert new_article.text[span.start : span.end] == span.quote
    for fact in [*Event.objects.all(), *Statement.objects.all()]:
        assert fact.status == ReviewStatus.CANDIDATE and fact.proposed_by


def test_mentions_recall_the_alias_passages_the_curators_cited(new_article):
    source_propose(source=new_article)
    cited = [row["fields"] for row in _rows("07_evidence.json") if row["fields"]["alias"] is not None]
    mentions = list(Mention.objects.filter(source=new_article).values_list("start", "end"))
    covered = [c for c in cited if any(s <= c["start"] < e or c["start"] <= s < c["end"] for s, e in mentions)]
    print(f"\nmentions: {len(mentions)}; alias passages with a mention: {len(covered)}/{len(cited)}")
    assert len(covered) / len(cited) >= 0.95
    assert all(new_article.text[m.start : m.end] == m.quote for m in Mention.objects.all())


def test_curated_date_expressions_are_proposed_with_the_same_interval(new_article):
    report = source_propose(source=new_article)
    curated = [
        f
        for f in [
            *_records("04_events.json", "facts.event").values(),
            *_records("05_statements.json", "facts.statement").values(),
        ]
        if f["date_text"]
    ]
    proposed = {
        (
            d["date_text"],
            str(d["date_start"]) if d["date_start"] else None,
            str(d["date_end"]) if d["date_end"] else None,
        )
        for d in report.dates
    }
    expected = {(f["date_text"], f["date_start"], f["date_end"]) for f in curated}
    print(f"\ndates: {len(expected & proposed)}/{len(expected)} curated date expressions with the same interval")
    assert expected <= proposed


def test_running_it_twice_proposes_nothing_new(new_article):
    first = source_propose(source=new_article)
    counts = (Event.objects.count(), Statement.objects.count(), Mention.objects.count(), EvidenceSpan.objects.count())
    second = source_propose(source=new_article)
    assert (
        Event.objects.count(),
        Statement.objects.count(),
        Mention.objects.count(),
        EvidenceSpan.objects.count(),
    ) == counts
    assert second.statements == [] and second.events == [] and second.mentions == 0
    # Every proposal of the first run is covered in the second: the candidates, and the passages it added to a
    # candidate reporting the same event (one span per proposed event).
    written = len(first.statements) + len(first.events) + len(first.merged) + len(first.evidence)
    assert second.already_there == first.already_there + written


def test_the_command_proposes_with_a_progress_bar_and_reports(new_article, capsys):
    call_command("propose_facts", new_article.slug)
    out, err = capsys.readouterr()
    assert "candidate statement(s)" in out and "Sentences" in err
    call_command("propose_facts", str(new_article.pk), "--json", "--no-progress")
    assert json.loads(capsys.readouterr().out)["statements"] == []
