"""Services write a fact with all its parts in one transaction, or nothing, naming every bad field."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from facts import services
from facts.models import (
    Actor,
    ActorAlias,
    ActorKind,
    Event,
    EvidenceSpan,
    Participant,
    Relation,
    RelationType,
    ReviewStatus,
    Statement,
    StatementKind,
)
from tests.conftest import make_actor, make_event, make_event_type, make_place, make_statement

DINNER = "US Secretary of State Antony Blinken held a dinner"
HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
PATEL = "said State Department spokesman Vedant Patel"
PATEL_WORDS = "The US is pleased to be hosting Foreign Minister Mirzoya of Armenia"


@pytest.fixture
def cast(db):
    return {
        "blinken": make_actor("Antony Blinken", slug="antony-blinken"),
        "mirzoyan": make_actor("Ararat Mirzoyan", slug="ararat-mirzoyan"),
        "patel": make_actor("Vedant Patel", slug="vedant-patel"),
        "armenia": make_actor("Armenia", kind=ActorKind.STATE, slug="armenia", country_code="AM"),
        "azerbaijan": make_actor("Azerbaijan", kind=ActorKind.STATE, slug="azerbaijan", country_code="AZ"),
        "curator": get_user_model().objects.create_user("curator"),
    }


def fact_counts():
    return (
        Event.objects.count(),
        Participant.objects.count(),
        EvidenceSpan.objects.count(),
        Statement.objects.count(),
        Relation.objects.count(),
    )


def test_event_create_writes_event_participants_and_located_evidence(source, cast):
    event = services.event_create(
        title="Blinken hosts a dinner",
        event_type=make_event_type(),
        date_text="On Sunday",
        participants=[{"actor": cast["blinken"], "role": "host"}, {"actor": cast["mirzoyan"], "role": "guest"}],
        evidence=[{"source": source, "quote": DINNER}],
        user=cast["curator"],
        reason="Recorded from the article",
    )
    span = event.evidence.get()
    assert source.text[span.start : span.end] == span.quote == DINNER
    assert {(p.actor.slug, p.role) for p in event.participants.all()} == {
        ("antony-blinken", "host"),
        ("ararat-mirzoyan", "guest"),
    }
    # "On Sunday" resolves against the publication date (Monday 1 May 2023).
    assert (event.date_start, event.date_end, event.date_precision) == (date(2023, 4, 30), date(2023, 4, 30), "day")
    assert event.status == ReviewStatus.DRAFT


def test_event_create_records_user_and_reason_in_history_of_every_part(source, cast):
    event = services.event_create(
        title="Talks",
        event_type=make_event_type(),
        participants=[{"actor": cast["armenia"], "role": "party"}],
        evidence=[{"source": source, "quote": HOSTED}],
        user=cast["curator"],
        reason="New talks",
    )
    for record in (event.history.get(), event.participants.get().history.get(), event.evidence.get().history.get()):
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "+",
            cast["curator"],
            "New talks",
        )


def test_failing_nested_write_leaves_no_rows_and_names_every_bad_field(source, cast):
    before = fact_counts()
    with pytest.raises(services.FactValidationError) as raised:
        services.event_create(
            title="",
            event_type=make_event_type(),
            participants=[
                {"actor": cast["blinken"], "role": "host"},
                {"actor": cast["mirzoyan"], "role": "emperor"},
                {"actor": cast["blinken"], "role": "guest"},
            ],
            evidence=[{"source": source, "quote": HOSTED}, {"source": source, "quote": "Paris is lovely in spring"}],
        )
    detail = raised.value.detail
    assert "title" in detail
    assert detail["participants"][0] == {}
    assert "role" in detail["participants"][1]
    assert detail["participants"][2]["actor"] == ["This actor already has a role in this event."]
    assert detail["evidence"][0] == {}
    assert "does not occur in the source text" in detail["evidence"][1]["quote"][0]
    assert fact_counts() == before
    # The same problems, flattened, for Django forms and the shell.
    assert "participants[1].role" in raised.value.message_dict
    assert "evidence[1].quote" in raised.value.message_dict


def test_ambiguous_passage_needs_an_occurrence(source, cast):
    with pytest.raises(services.FactValidationError) as raised:
        services.relation_create(
            subject=cast["armenia"],
            object=cast["azerbaijan"],
            type=RelationType.AT_WAR_WITH,
            evidence=[{"source": source, "quote": "Armenia"}],
        )
    assert "say which occurrence" in raised.value.detail["evidence"][0]["quote"][0]
    relation = services.relation_create(
        subject=cast["armenia"],
        object=cast["azerbaijan"],
        type=RelationType.AT_WAR_WITH,
        evidence=[{"source": source, "quote": "Armenia", "occurrence": 2}],
    )
    span = relation.evidence.get()
    first = source.text.find("Armenia")
    assert span.start == source.text.find("Armenia", first + 1)


def test_a_fact_needs_evidence(source, cast):
    with pytest.raises(services.FactValidationError) as raised:
        services.relation_create(
            subject=cast["armenia"], object=cast["azerbaijan"], type=RelationType.RIVAL_OF, evidence=[]
        )
    assert raised.value.detail["evidence"] == ["Give at least one passage of a source that supports this fact."]
    assert Relation.objects.count() == 0


def test_model_constraints_are_reported_as_validation_errors(source, cast):
    with pytest.raises(services.FactValidationError) as raised:
        services.relation_create(
            subject=cast["armenia"],
            object=cast["armenia"],
            type=RelationType.RIVAL_OF,
            evidence=[{"source": source, "quote": HOSTED}],
        )
    assert raised.value.detail["__all__"] == ["A relation needs two different actors."]


def test_unresolvable_date_expression_is_refused_with_advice(source, cast):
    with pytest.raises(services.FactValidationError) as raised:
        services.event_create(
            title="Talks",
            event_type=make_event_type(),
            date_text="around the full moon",
            evidence=[{"source": source, "quote": HOSTED}],
        )
    assert "Give date_start, date_end and date_precision explicitly" in raised.value.detail["date_text"][0]


def test_event_update_replaces_parts_and_keeps_unchanged_ones(source, cast):
    event = services.event_create(
        title="Talks",
        event_type=make_event_type(),
        participants=[{"actor": cast["armenia"], "role": "party"}, {"actor": cast["azerbaijan"], "role": "party"}],
        evidence=[{"source": source, "quote": HOSTED}],
    )
    kept_span = event.evidence.get()
    services.event_update(
        event=event,
        title="US-hosted talks",
        participants=[{"actor": cast["armenia"], "role": "party"}, {"actor": cast["blinken"], "role": "host"}],
        evidence=[{"source": source, "quote": HOSTED}, {"source": source, "quote": DINNER}],
        user=cast["curator"],
        reason="Added the host",
    )
    event.refresh_from_db()
    assert event.title == "US-hosted talks"
    assert {p.actor.slug for p in event.participants.all()} == {"armenia", "antony-blinken"}
    assert kept_span.pk in set(event.evidence.values_list("pk", flat=True))
    assert event.evidence.count() == 2
    removed = Participant.history.filter(history_type="-").get()
    assert (removed.actor_id, removed.history_change_reason) == (cast["azerbaijan"].pk, "Added the host")
    assert event.history.first().history_change_reason == "Added the host"


def test_invalid_update_changes_nothing(source, cast):
    event = services.event_create(
        title="Talks",
        event_type=make_event_type(),
        participants=[{"actor": cast["armenia"], "role": "party"}],
        evidence=[{"source": source, "quote": HOSTED}],
    )
    with pytest.raises(services.FactValidationError):
        services.event_update(
            event=event,
            title="New title",
            participants=[],
            evidence=[{"source": source, "quote": "not in the article at all"}],
        )
    event = Event.objects.get(pk=event.pk)
    assert event.title == "Talks"
    assert event.participants.count() == 1 and event.evidence.count() == 1


def test_statement_create_with_about_links_and_history_reason(source, cast):
    place = make_place("Washington", slug="washington")
    talks = make_event(source, HOSTED)
    statement = services.statement_create(
        speaker=cast["patel"],
        text="The US is pleased to be hosting",
        kind=StatementKind.QUOTE,
        channel="",
        event=talks,
        about_actors=[cast["armenia"], cast["azerbaijan"]],
        about_places=[place],
        about_events=[talks],
        evidence=[{"source": source, "quote": PATEL_WORDS}],
        reason="Spokesman's quote",
    )
    assert set(statement.about_actors.values_list("slug", flat=True)) == {"armenia", "azerbaijan"}
    assert list(statement.about_places.all()) == [place]
    assert statement.history.filter(history_change_reason="Spokesman's quote").exists()
    services.statement_update(statement=statement, about_actors=[cast["armenia"]], reason="Only Armenia")
    assert list(statement.about_actors.values_list("slug", flat=True)) == ["armenia"]
    assert statement.history.first().history_change_reason == "Only Armenia"


def test_reason_longer_than_history_allows_is_refused(source, cast):
    with pytest.raises(services.FactValidationError) as raised:
        services.relation_create(
            subject=cast["armenia"],
            object=cast["azerbaijan"],
            type=RelationType.RIVAL_OF,
            evidence=[{"source": source, "quote": HOSTED}],
            reason="x" * 101,
        )
    assert "reason" in raised.value.detail


def test_actor_create_with_aliases_and_duplicate_alias_refused(source, cast):
    actor = services.actor_create(
        slug="ilham-aliyev",
        name="Ilham Aliyev",
        kind=ActorKind.PERSON,
        aliases=[
            {"name": "Aliyev", "kind": "surname", "evidence": [{"source": source, "quote": "President Ilham Aliyev"}]}
        ],
    )
    assert list(actor.aliases.values_list("name", "kind")) == [("Aliyev", "surname")]
    assert list(actor.aliases.get().evidence.values_list("quote", flat=True)) == ["President Ilham Aliyev"]
    with pytest.raises(services.FactValidationError) as raised:
        services.actor_update(actor=actor, aliases=[{"name": "Aliyev"}, {"name": "Aliyev"}])
    assert raised.value.detail["aliases"][1]["name"] == ["This alias is given twice."]
    services.actor_update(
        actor=actor,
        aliases=[
            {
                "name": "President Aliyev",
                "kind": "description",
                "external": {"name": "a title the article does not write"},
            }
        ],
    )
    assert list(ActorAlias.objects.filter(actor=actor).values_list("name", flat=True)) == ["President Aliyev"]


def test_an_alias_cites_a_passage_holding_it_or_is_marked_external(source, cast):
    with pytest.raises(services.FactValidationError) as raised:
        services.actor_create(
            slug="ilham-aliyev",
            name="Ilham Aliyev",
            kind=ActorKind.PERSON,
            aliases=[
                {"name": "Aliyev", "kind": "surname"},
                {"name": "Ilham", "evidence": [{"source": source, "quote": "Blinken also spoke"}]},
                {"name": "Aliev", "external": {"name": "transliteration"}},
            ],
        )
    assert raised.value.detail["aliases"][0]["evidence"][0].startswith("Cite a passage where a source uses")
    assert raised.value.detail["aliases"][1]["evidence"] == [
        "Each passage cited for the alias “Ilham” must contain it."
    ]
    assert raised.value.detail["aliases"][2] == {}
    assert not Actor.objects.filter(slug="ilham-aliyev").exists()
    # One alias on its own: the same rule (used by reverts of an alias).
    armenia = cast["armenia"]
    with pytest.raises(services.FactValidationError):
        services.alias_create(actor=armenia, name="Yerevan", kind="metonym")
    alias = services.alias_create(
        actor=armenia,
        name="Yerevan",
        kind="metonym",
        evidence=[{"source": source, "quote": "an angry response from Yerevan"}],
    )
    with pytest.raises(services.FactValidationError):
        services.alias_update(alias=alias, evidence=[])
    services.alias_update(alias=alias, external={"name": "metonym"}, evidence=[])
    assert not alias.evidence.exists()


def test_affiliation_links_organizations_and_states_and_an_external_link_needs_no_evidence(source, cast):
    us = make_actor("United States", kind="state", country_code="US")
    department = make_actor("State Department", kind="organization")
    with pytest.raises(services.FactValidationError) as raised:
        services.affiliation_create(person=department, organization=us, evidence=[])
    assert raised.value.detail["evidence"] == [services.NO_EVIDENCE]
    link = services.affiliation_create(
        person=department, organization=us, evidence=[], external={"organization": "outside knowledge"}
    )
    assert not link.evidence.exists()
    # Dropping the mark from a link that cites nothing needs a passage.
    with pytest.raises(services.FactValidationError) as raised:
        services.affiliation_update(affiliation=link, external={})
    assert raised.value.detail["evidence"] == [services.NO_EVIDENCE]
    # A state is no one's member, and a link that would close a cycle is refused (the model's rules).
    with pytest.raises(services.FactValidationError) as raised:
        services.affiliation_create(person=us, organization=department, evidence=[], external={"person": "x"})
    assert "person" in raised.value.detail
    bureau = make_actor("Bureau", kind="group")
    services.affiliation_create(person=bureau, organization=department, evidence=[], external={"person": "x"})
    with pytest.raises(services.FactValidationError) as raised:
        services.affiliation_create(person=department, organization=bureau, evidence=[], external={"person": "x"})
    assert "part of itself" in raised.value.detail["organization"][0]


def test_dependents_block_deletion_and_nothing_is_deleted(source, cast):
    statement = make_statement(source, PATEL, cast["patel"])
    statement.about_actors.add(cast["armenia"])
    with pytest.raises(services.DependentsExist) as raised:
        services.instance_delete(instance=cast["patel"])
    assert raised.value.dependents == [{"model": "statement", "field": "speaker", "count": 1, "ids": [statement.pk]}]
    # A many-to-many mention counts too: deleting Armenia would silently drop the statement's link.
    with pytest.raises(services.DependentsExist) as mentioned:
        services.instance_delete(instance=cast["armenia"])
    assert mentioned.value.dependents[0]["field"] == "about_actors"
    with pytest.raises(services.DependentsExist):
        services.instance_delete(instance=source)
    assert Actor.objects.filter(pk=cast["patel"].pk).exists()


def test_instance_delete_removes_owned_parts_with_reason(source, cast):
    event = services.event_create(
        title="Talks",
        event_type=make_event_type(),
        participants=[{"actor": cast["armenia"], "role": "party"}],
        evidence=[{"source": source, "quote": HOSTED}],
    )
    services.instance_delete(instance=event, user=cast["curator"], reason="Duplicate of another event")
    assert not Event.objects.exists() and not Participant.objects.exists() and not EvidenceSpan.objects.exists()
    for model in (Event, Participant, EvidenceSpan):
        tombstone = model.history.get(history_type="-")
        assert (tombstone.history_user, tombstone.history_change_reason) == (
            cast["curator"],
            "Duplicate of another event",
        )


def test_relation_and_affiliation_updates_replace_evidence(source, cast):
    relation = services.relation_create(
        subject=cast["armenia"],
        object=cast["azerbaijan"],
        type=RelationType.AT_WAR_WITH,
        evidence=[{"source": source, "quote": "The two sides have gone to war twice"}],
    )
    services.relation_update(
        relation=relation,
        type=RelationType.RIVAL_OF,
        evidence=[{"source": source, "quote": "clashes regularly erupt over the territory"}],
        reason="Standoff, not war",
    )
    relation.refresh_from_db()
    assert relation.type == RelationType.RIVAL_OF
    assert [s.quote for s in relation.evidence.all()] == ["clashes regularly erupt over the territory"]

    us = make_actor("United States", kind=ActorKind.STATE, slug="united-states", country_code="US")
    affiliation = services.affiliation_create(
        person=cast["blinken"],
        organization=us,
        role_title="Secretary of State",
        evidence=[{"source": source, "quote": "US Secretary of State Antony Blinken"}],
    )
    assert affiliation.evidence.get().quote == "US Secretary of State Antony Blinken"
    with pytest.raises(services.FactValidationError) as raised:
        services.affiliation_update(affiliation=affiliation, person=us, organization=us)
    assert {"person", "__all__"} & set(raised.value.detail)
    affiliation.refresh_from_db()
    assert affiliation.person == cast["blinken"]


def test_evidence_without_a_source_is_named(cast):
    with pytest.raises(services.FactValidationError) as raised:
        services.relation_create(
            subject=cast["armenia"],
            object=cast["azerbaijan"],
            type=RelationType.RIVAL_OF,
            evidence=[{"quote": "The two sides"}],
        )
    assert raised.value.detail["evidence"][0]["source"] == ["This field cannot be null."]


def test_validate_checks_without_writing_and_skips_fields_found_bad_upstream(source, cast):
    make_event_type()
    counts = (Event.objects.count(), Participant.objects.count(), EvidenceSpan.objects.count(), Event.history.count())
    valid = {
        "title": "Talks",
        "event_type_id": "043",
        "participants": [{"actor": cast["armenia"], "role": "party"}],
        "evidence": [{"source": source, "quote": HOSTED}],
    }
    assert services.event_validate(**valid) == {}
    # The place was an unknown slug upstream: not reported again; the blank title and the bad passage are.
    problems = services.event_validate(
        skip={"place"}, **{**valid, "title": "", "evidence": [{"source": source, "quote": "never said"}]}
    )
    assert set(problems) == {"title", "evidence"}
    assert problems["evidence"][0]["quote"]
    # Evidence found bad upstream is not required again either.
    assert services.event_validate(skip={"evidence"}, **{**valid, "evidence": []}) == {}
    assert counts == (
        Event.objects.count(),
        Participant.objects.count(),
        EvidenceSpan.objects.count(),
        Event.history.count(),
    )
    # event_create runs the same checks, then writes.
    assert services.event_create(**valid).pk is not None


def test_validating_an_update_leaves_the_object_as_it_was(source, cast):
    event = services.event_create(
        title="Talks", event_type=make_event_type(), evidence=[{"source": source, "quote": HOSTED}]
    )
    assert set(services.event_validate(event=event, title="")) == {"title"}
    assert event.title == "Talks"


def test_reverting_an_actor_or_an_alias_restores_alias_evidence_and_keeps_the_rule(source, cast):
    from facts.history import version_restore

    armenia = cast["armenia"]
    services.actor_update(
        actor=armenia,
        aliases=[
            {
                "name": "Yerevan",
                "kind": "metonym",
                "evidence": [{"source": source, "quote": "angry response from Yerevan"}],
            }
        ],
    )
    first = armenia.history.order_by("-history_id").first()
    services.actor_update(
        actor=armenia,
        aliases=[
            {
                "name": "Yerevan",
                "kind": "metonym",
                "evidence": [{"source": source, "quote": "a ceasefire between Yerevan and Baku"}],
            }
        ],
    )
    version_restore(model=Actor, object_id=armenia.pk, version_id=first.history_id)
    alias = armenia.aliases.get()
    assert list(alias.evidence.values_list("quote", flat=True)) == ["angry response from Yerevan"]
    # An alias deleted with its evidence comes back from its own history with the passages it had.
    version = alias.history.filter(history_type="+").order_by("history_id").first()
    services.actor_update(actor=armenia, aliases=[])
    restored = version_restore(model=ActorAlias, object_id=alias.pk, version_id=version.history_id)
    assert list(restored.evidence.values_list("quote", flat=True)) == ["angry response from Yerevan"]
