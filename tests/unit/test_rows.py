"""The row builders (facts.api.rows) against the serializers that describe their JSON in the schema.

Events and statements are built from plain rows, and their declared serializers only describe the result to
drf-spectacular: the keys built must be the fields declared, in the same order, or the schema would drift from
the answers.
"""

import pytest
from rest_framework.request import Request

from facts.api import rows, serializers
from facts.models import Event, Statement
from facts.selectors import related
from tests.article_api import article_fixture  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.django_db

SHAPES = [
    (Event, rows.EVENT_COLUMNS, related.event_related, rows.event_json, serializers.EventSerializer),
    (
        Event,
        rows.EVENT_COLUMNS,
        related.event_detail_related,
        rows.event_detail_json,
        serializers.EventDetailSerializer,
    ),
    (
        Statement,
        rows.STATEMENT_COLUMNS,
        related.statement_related,
        rows.statement_json,
        serializers.StatementSerializer,
    ),
]


@pytest.mark.parametrize("model, columns, read, build, serializer_class", SHAPES)
def test_row_builders_build_the_fields_their_serializer_declares(
    article, db, rf, model, columns, read, build, serializer_class
):
    declared = list(serializer_class(context={"request": Request(rf.get("/"))}).fields)
    assert declared == list(serializer_class.Meta.fields)
    page = list(model.objects.order_by("id").values(*columns)[:3])
    assert page
    related_rows = read([row["id"] for row in page], tuple(declared))
    for row in page:
        assert list(build(row, related_rows[row["id"]], rows.Urls(), tuple(declared))) == declared
        assert list(build(row, related_rows[row["id"]], rows.Urls())) == declared  # every field by default


@pytest.mark.parametrize("model, columns, read, build, serializer_class", SHAPES)
def test_a_selection_builds_only_the_fields_named_and_reads_only_their_rows(
    article, db, django_assert_num_queries, model, columns, read, build, serializer_class
):
    [row] = model.objects.order_by("id").values(*columns)[:1]
    with django_assert_num_queries(0):
        related_rows = read([row["id"]], ("id", "url"))
    assert build(row, related_rows[row["id"]], rows.Urls(), ("id", "url")) == {
        "id": row["id"],
        "url": rows.Urls().of(model._meta.model_name, row["id"]),
    }


def test_urls_are_absolute_for_a_request_and_paths_without_one(rf):
    assert rows.Urls().of("event", 3) == "/api/v1/events/3/"
    assert (
        rows.Urls(Request(rf.get("/"))).list("actor", "kind=person") == "http://testserver/api/v1/actors/?kind=person"
    )
