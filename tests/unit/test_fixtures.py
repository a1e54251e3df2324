"""The article fixtures: evidence integrity, coverage of the article measured from its text, dates, and tooling.

Coverage is computed from the article itself (sentences split by a regex, curly-quoted passages found by a regex),
never from a hand-made list, so a fact removed from the spec or a sentence left uncited fails here.
"""

import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from facts.dates import FUTURE, PAST, PRESENT, UnresolvableDate, resolve_date, undated
from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Place,
    Relation,
    ReviewStatus,
    Source,
    Statement,
    StatementKind,
)

ROOT = Path(settings.BASE_DIR)
FIXTURE_FILES = sorted((ROOT / "fixtures").glob("*.json"))
SEEDS = ROOT / "seeds"
STEM = "000_3248d2ee7ebb0e6a"
META = json.loads((SEEDS / f"{STEM}.meta.json").read_text(encoding="utf-8"))
SPEC = yaml.safe_load((SEEDS / f"{STEM}.facts.yaml").read_text(encoding="utf-8"))

FACT_MODELS = (Event, Statement, Relation)
# A sentence ends at . ! or ? (optionally followed by a closing quote) before whitespace and a capital or an opening
# quote; paragraphs (and the title and headings, which have no final stop) end at a line break.
SENTENCE_END = re.compile(r"(?<=[.!?])[”’\"]?(?=\s+[“\"A-Z])")
CURLY_QUOTED = re.compile(r"“([^”]*)”")


def load_fixtures():
    call_command("loaddata", *map(str, FIXTURE_FILES), verbosity=0)


@pytest.fixture
def loaded(db):
    load_fixtures()
    return Source.objects.get(slug=META["slug"])


def article_body(text: str) -> str:
    """Title to the end of the last paragraph before the "Related Articles" line (the rest is page cruft)."""
    marker = re.search(r"^" + re.escape(META["body_ends_before"]) + r"\s*$", text, re.M)
    assert marker, "the body end marker must be a line of the article"
    return text[: marker.start()].rstrip()


def sentences(body: str) -> list[tuple[int, int, str]]:
    """(start, end, sentence) for every sentence of every line of the body, headings and title included."""
    found = []
    for line in re.finditer(r"[^\n]+", body):
        start = line.start()
        cuts = [m.end() for m in SENTENCE_END.finditer(line.group())] + [len(line.group())]
        for cut in cuts:
            piece = body[start : line.start() + cut]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                found.append((start + lead, start + lead + len(stripped), stripped))
            start = line.start() + cut
    return found


def normalize_quoted(passage: str) -> str:
    """Inner passage of curly quotes as a statement stores it: one trailing comma or period dropped."""
    passage = passage.strip()
    return passage[:-1] if passage.endswith((",", ".")) else passage


def spans_of(source):
    return list(EvidenceSpan.objects.filter(source=source).values_list("id", "start", "end", "quote"))


def overridden(kind: str) -> set[int]:
    return {item["id"] for item in SPEC.get(kind, []) if "date_override" in item}


def spec_item(kind: str, pk: int) -> dict:
    return next(item for item in SPEC.get(kind, []) if item["id"] == pk)


def spec_affiliations():
    """(fixture key, spec item) of every affiliation, keyed as build_fixtures keys them."""
    return [
        (actor["id"] * 10 + index, item)
        for actor in SPEC["actors"]
        for index, item in enumerate(actor.get("affiliations", []), start=1)
    ]


def reported(item: dict) -> str:
    """The tense the spec says the article reports a fact in."""
    return FUTURE if item.get("expected") else PRESENT if item.get("as_of_publication") else PAST


def bounded_by_spec(item: dict) -> bool:
    """Whether the spec gives the fact anything that bounds its time: a date, a tense, or an event it was said at."""
    return any(item.get(key) for key in ("date_text", "as_of_publication", "before_publication", "expected", "event"))


# --- the source -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_source_text_is_the_seed_file_exactly(loaded):
    raw = (SEEDS / META["file"]).read_bytes()
    assert loaded.text == raw.decode("utf-8")
    assert loaded.checksum == hashlib.sha256(raw).hexdigest() == Source.checksum_of(loaded.text)
    assert loaded.published.isoformat() == META["published"]
    assert "published" in loaded.external, "the publication date is external metadata and must say so"


# --- (a) evidence integrity and (b) every fact cited ------------------------------------------------------------


@pytest.mark.django_db
def test_every_fixture_span_quotes_its_source_exactly(loaded):
    spans = EvidenceSpan.objects.select_related("source")
    assert spans.exists()
    for span in spans:
        assert 0 <= span.start < span.end <= len(span.source.text), f"span {span.pk} offsets out of range"
        assert span.quote == span.source.text[span.start : span.end], f"span {span.pk} quote differs from the text"


@pytest.mark.django_db
@pytest.mark.parametrize("model", FACT_MODELS + (Affiliation, ActorAlias), ids=lambda m: m.__name__)
def test_every_fact_affiliation_and_alias_cites_a_span_unless_marked_external(loaded, model):
    # An affiliation whose link no passage states, and an alias no source uses (a canonical spelling), are
    # marked external instead (needs_evidence).
    uncited = [
        obj.pk for obj in model.objects.filter(evidence__isnull=True) if getattr(obj, "needs_evidence", lambda: True)()
    ]
    assert model.objects.exists()
    assert uncited == [], f"{model.__name__} without evidence: {uncited}"


@pytest.mark.django_db
def test_each_alias_span_contains_its_alias_and_external_aliases_and_links_say_why(loaded):
    spans = EvidenceSpan.objects.filter(alias__isnull=False).select_related("alias")
    assert spans.count() >= ActorAlias.objects.count() - 1
    for span in spans:
        assert span.alias.name.casefold() in span.quote.casefold(), span.pk
    external = ActorAlias.objects.exclude(external={})
    assert [(a.actor.slug, a.name) for a in external] == [("ararat-mirzoyan", "Ararat Mirzoyan")]
    assert all(a.external["name"].strip() for a in external)
    link = Affiliation.objects.get(person__slug="us-state-department")
    assert link.organization.slug == "united-states" and not link.evidence.exists()
    assert "outside knowledge" in link.external["organization"].lower()


@pytest.mark.django_db
def test_every_place_with_a_parent_names_the_origin_of_the_link(loaded):
    # Places cite no evidence spans, so each parent link is named in `external` with where it comes from.
    for place in Place.objects.filter(parent__isnull=False):
        assert place.external.get("parent", "").strip(), f"{place.slug}: parent link not marked external"
    # The corridor's parent is Azerbaijan's claim in the article, not its statement: said so, honestly.
    corridor = Place.objects.get(slug="lachin-corridor").external["parent"]
    assert "Outside knowledge" in corridor and "claim" in corridor


@pytest.mark.django_db
def test_every_fixture_fact_is_reviewed(loaded):
    for model in FACT_MODELS:
        assert set(model.objects.values_list("status", flat=True)) == {ReviewStatus.REVIEWED}


@pytest.mark.django_db
def test_every_loaded_object_passes_model_validation(loaded):
    """Fixtures bypass save() and clean(); the admin and API would not, so the data must pass them too."""
    for model in apps.get_app_config("facts").get_models():
        if model.__name__.startswith("Historical"):
            continue
        for obj in model.objects.all():
            obj.full_clean()


# --- (c) sentence coverage --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_sentence_of_the_article_body_is_cited(loaded):
    body = article_body(loaded.text)
    found = sentences(body)
    spans = spans_of(loaded)
    uncited = [s for (start, end, s) in found if not any(a < end and b > start for (_, a, b, _) in spans)]
    # Sanity of the splitter itself: the title and the heading are sentences of the body.
    assert found[0][2] == META["title"]
    assert "Aiming to Normalize Relations" in [s for (_, _, s) in found]
    print(f"sentence coverage: {len(found) - len(uncited)}/{len(found)} sentences cited")
    assert uncited == []


@pytest.mark.django_db
def test_evidence_covers_almost_all_characters_of_the_body(loaded):
    body = article_body(loaded.text)
    covered = [False] * len(body)
    for _, start, end, _ in spans_of(loaded):
        for i in range(start, min(end, len(body))):
            covered[i] = True
    letters = [i for i, ch in enumerate(body) if not ch.isspace()]
    share = sum(covered[i] for i in letters) / len(letters)
    print(f"character coverage of the body (non-space): {share:.1%}")
    assert share >= 0.95


@pytest.mark.django_db
def test_no_span_cites_page_cruft_after_the_body(loaded):
    body_end = len(article_body(loaded.text))
    assert [pk for (pk, start, _, _) in spans_of(loaded) if start >= body_end] == []


# --- (d) quoted passages ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_curly_quoted_passage_is_the_text_of_a_quote_statement(loaded):
    quoted = [normalize_quoted(m.group(1)) for m in CURLY_QUOTED.finditer(article_body(loaded.text))]
    assert len(quoted) >= 10
    texts = set(
        Statement.objects.filter(kind__in=[StatementKind.QUOTE, StatementKind.PARTIAL]).values_list("text", flat=True)
    )
    missing = [q for q in quoted if q not in texts]
    assert missing == []


@pytest.mark.django_db
def test_every_quote_statement_is_a_curly_quoted_passage_of_its_own_evidence(loaded):
    for statement in Statement.objects.filter(kind__in=[StatementKind.QUOTE, StatementKind.PARTIAL]):
        quoted = {
            normalize_quoted(m.group(1)) for span in statement.evidence.all() for m in CURLY_QUOTED.finditer(span.quote)
        }
        assert statement.text in quoted, f"statement {statement.pk} is not quoted in its evidence"


# --- (e) dates --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model,spec_key",
    [(Event, "events"), (Statement, "statements"), (Relation, "relations")],
    ids=["events", "statements", "relations"],
)
def test_fact_dates_are_the_resolved_date_expressions(loaded, model, spec_key):
    published = loaded.published
    skipped = overridden(spec_key)
    checked = 0
    for fact in model.objects.exclude(date_text="").exclude(pk__in=skipped):
        resolved = resolve_date(fact.date_text, published, reported=reported(spec_item(spec_key, fact.pk)))
        assert (fact.date_start, fact.date_end, fact.date_precision) == (
            resolved.start,
            resolved.end,
            resolved.precision,
        ), f"{model.__name__} {fact.pk}"
        assert fact.date_text in loaded.text, f"{model.__name__} {fact.pk}: date expression is not verbatim"
        checked += 1
    for fact in model.objects.filter(date_text=""):
        item = spec_item(spec_key, fact.pk)
        dates = (fact.date_start, fact.date_end, fact.date_precision)
        if model is Statement and fact.event_id:
            # Made at an event and undated by its own words: the event's dates.
            event = fact.event
            assert dates == (event.date_start, event.date_end, event.date_precision), f"statement {fact.pk}"
        elif bounded_by_spec(item):
            # No expression: bounded by the tense alone, the unknown bound open (as of / before publication).
            resolved = undated(published, reported=reported(item))
            assert dates == (resolved.start, resolved.end, resolved.precision), f"{model.__name__} {fact.pk}"
        else:
            assert dates == (None, None, ""), f"{model.__name__} {fact.pk}"
    assert checked


@pytest.mark.django_db
def test_date_overrides_are_used_only_where_the_resolver_cannot_help(loaded):
    for spec_key, model in (("events", Event), ("statements", Statement), ("relations", Relation)):
        for item in SPEC.get(spec_key, []):
            if "date_override" not in item:
                continue
            assert item["date_override"].get("reason"), f"{spec_key} {item['id']}: override without a reason"
            with pytest.raises(UnresolvableDate):
                resolve_date(item["date_text"], loaded.published, reported=reported(item))
            assert item["date_text"] in loaded.text
            assert model.objects.get(pk=item["id"]).date_text == item["date_text"]


SPEC_FACTS = [
    (model, spec_key, item)
    for model, spec_key in ((Event, "events"), (Statement, "statements"), (Relation, "relations"))
    for item in SPEC[spec_key]
]


@pytest.mark.django_db
def test_no_fact_reported_as_past_ends_after_publication(loaded):
    # Only what the article presents as expected may reach beyond its publication date ("the expected four days").
    facts = [(model.objects.get(pk=item["id"]), item) for model, _key, item in SPEC_FACTS]
    facts += [(Affiliation.objects.get(pk=pk), item) for pk, item in spec_affiliations()]
    checked = 0
    for fact, item in facts:
        if fact.date_start is None and fact.date_end is None:
            continue
        where = f"{type(fact).__name__} {fact.pk}"
        if item.get("expected"):
            assert fact.date_end is None or fact.date_end >= loaded.published, where
            continue
        assert fact.date_end is not None and fact.date_end <= loaded.published, where
        checked += 1
    assert checked > 40
    talks = Event.objects.get(pk=16)
    assert (talks.date_start.isoformat(), talks.date_end.isoformat(), talks.date_precision) == (
        "2023-05-01",
        "2023-05-04",
        "range",
    )


@pytest.mark.django_db
def test_every_fact_the_spec_bounds_has_an_interval(loaded):
    facts = [(model.objects.get(pk=item["id"]), item) for model, _key, item in SPEC_FACTS]
    facts += [(Affiliation.objects.get(pk=pk), {**item, "as_of_publication": True}) for pk, item in spec_affiliations()]
    for fact, item in facts:
        where = f"{type(fact).__name__} {fact.pk}"
        # The article reports every fact it states before, as of, or (as expected) after its publication: each has a
        # date, a tense or an occasion in the spec, and so an interval with at least one known bound.
        assert bounded_by_spec(item), f"{where}: give it a date_text, a tense or the event it was said at"
        assert fact.date_start is not None or fact.date_end is not None, where
        assert (fact.date_precision == "open") == (None in (fact.date_start, fact.date_end)), where


# --- external data is marked ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_iso_codes_and_coordinates_are_marked_external(loaded):
    for actor in Actor.objects.exclude(country_code=""):
        assert "country_code" in actor.external, actor.slug
    for place in Place.objects.all():
        if place.country_code:
            assert "country_code" in place.external, place.slug
        if place.latitude is not None:
            assert {"latitude", "longitude"} <= set(place.external), place.slug


@pytest.mark.django_db
def test_actor_aliases_all_occur_in_the_article_and_canonical_names_not_in_it_are_external(loaded):
    for actor in Actor.objects.prefetch_related("aliases"):
        for alias in actor.aliases.all():
            if "name" in alias.external:
                continue  # a canonical spelling, marked external
            assert alias.name in loaded.text, f"alias {alias.name!r} of {actor.slug} is not in the article"
        if actor.name not in loaded.text and actor.kind != "unnamed":
            assert "name" in actor.external, f"{actor.slug}: canonical name not in the article must be external"


# --- (f) build_fixtures --check ---------------------------------------------------------------------------------


def test_committed_fixtures_are_what_build_fixtures_writes():
    call_command("build_fixtures", check=True, verbosity=0)


def _copy_inputs(tmp_path) -> tuple[Path, Path]:
    seeds, fixtures = tmp_path / "seeds", tmp_path / "fixtures"
    shutil.copytree(SEEDS, seeds)
    shutil.copytree(ROOT / "fixtures", fixtures)
    return seeds, fixtures


def test_build_fixtures_check_fails_when_a_fixture_is_stale(tmp_path):
    seeds, fixtures = _copy_inputs(tmp_path)
    stale = fixtures / "05_statements.json"
    stale.write_text(stale.read_text(encoding="utf-8").replace("reviewed", "draft", 1), encoding="utf-8")
    with pytest.raises(CommandError, match="05_statements.json"):
        call_command("build_fixtures", check=True, seeds=str(seeds), fixtures=str(fixtures))


@pytest.mark.parametrize(
    "passage,message",
    [
        ("Blinken visited the moon", "does not occur in the source"),
        ("the official said", "occurs 2 times"),
    ],
    ids=["absent", "ambiguous"],
)
def test_build_fixtures_refuses_a_passage_that_is_absent_or_ambiguous(tmp_path, passage, message):
    seeds, fixtures = _copy_inputs(tmp_path)
    spec_path = seeds / f"{STEM}.facts.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["events"][0]["evidence"] = [passage]
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("build_fixtures", check=True, seeds=str(seeds), fixtures=str(fixtures))


def test_build_fixtures_refuses_a_date_override_the_resolver_does_not_need(tmp_path):
    seeds, fixtures = _copy_inputs(tmp_path)
    spec_path = seeds / f"{STEM}.facts.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["events"][0]["date_override"] = {
        "start": "1990-01-01",
        "end": "1990-12-31",
        "precision": "year",
        "reason": "not needed",
    }
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError, match="which the resolver handles"):
        call_command("build_fixtures", check=True, seeds=str(seeds), fixtures=str(fixtures))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"precision": "year"}, "is not one year: give “range”"),
        (
            {"end": date(2023, 5, 4)},
            "reported as past, so its date_override must end no later than the publication date",
        ),
        ({"start": None, "precision": "range"}, "unknown \\(open\\) bound has precision “open”"),
    ],
    ids=["precision", "past-beyond-publication", "open-bound"],
)
def test_build_fixtures_refuses_an_override_that_misstates_its_interval(tmp_path, change, message):
    seeds, fixtures = _copy_inputs(tmp_path)
    spec_path = seeds / f"{STEM}.facts.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    (ceasefire,) = [e for e in spec["events"] if e["id"] == 4]
    ceasefire["date_override"].update(change)
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("build_fixtures", check=True, seeds=str(seeds), fixtures=str(fixtures))


def test_build_fixtures_refuses_a_past_fact_dated_after_publication(tmp_path):
    seeds, fixtures = _copy_inputs(tmp_path)
    spec_path = seeds / f"{STEM}.facts.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    (kick_off,) = [e for e in spec["events"] if e["id"] == 18]
    kick_off["date_text"] = "the expected four days of talks between the two sides Monday"
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError, match="event 18: .* presents the fact as expected"):
        call_command("build_fixtures", check=True, seeds=str(seeds), fixtures=str(fixtures))


# --- (g) verify_evidence ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_evidence_reports_no_problem_on_the_fixtures(loaded, capsys):
    call_command("verify_evidence")
    out = capsys.readouterr().out
    assert f"Checked {EvidenceSpan.objects.count()} evidence span(s)" in out
    assert "0 problem(s)" in out


@pytest.mark.django_db
def test_verify_evidence_fails_naming_a_corrupted_span(loaded, capsys):
    span = EvidenceSpan.objects.filter(statement__isnull=False).order_by("pk").first()
    EvidenceSpan.objects.filter(pk=span.pk).update(quote=span.quote + " (tampered)")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_evidence")
    out = capsys.readouterr().out
    assert f"span {span.pk} (statement {span.statement_id}" in out


@pytest.mark.django_db
def test_verify_evidence_fails_on_offsets_out_of_range_and_on_a_fact_without_evidence(loaded, capsys):
    span = EvidenceSpan.objects.filter(event__isnull=False).order_by("pk").first()
    EvidenceSpan.objects.filter(pk=span.pk).update(end=len(span.source.text) + 5)
    # A fact written without evidence by raw ORM (taking a fact's last span is refused, by a trigger on PostgreSQL).
    first = Relation.objects.order_by("pk").first()
    relation = Relation.objects.create(subject=first.subject, object=first.object, type=first.type)
    with pytest.raises(CommandError, match="2 problem"):
        call_command("verify_evidence")
    out = capsys.readouterr().out
    assert f"span {span.pk} (event {span.event_id}" in out and "out of range" in out
    assert f"MISSING evidence for relation {relation.pk}" in out


# --- (h) reloading is stable ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_the_fixtures_twice_changes_no_row(loaded):
    models = [m for m in apps.get_app_config("facts").get_models() if not m.__name__.startswith("Historical")]

    def snapshot():
        return {m.__name__: sorted(m.objects.values_list("pk", flat=True)) for m in models}

    first = snapshot()
    load_fixtures()
    assert snapshot() == first
    assert all(
        first[name]
        for name in (
            "Source",
            "Actor",
            "ActorAlias",
            "Place",
            "Event",
            "Statement",
            "Relation",
            "EvidenceSpan",
            "EventType",
        )
    )
