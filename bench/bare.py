"""Bare Django views over the API's own event queries: the framework's practical limit, for comparison.

They filter with the API's EventFilterSet (so the WHERE clause is the same), then fetch plain dicts with values()
and answer with JsonResponse / a streamed CSV: no DRF request parsing, content negotiation, serializers or
renderers. They build the same JSON shape as the API's event serializer, in the same number of queries a careful
hand-written view needs: count, page, participants, evidence.
"""

import csv
import io
from collections import defaultdict

from django.http import JsonResponse, StreamingHttpResponse

from facts.api.filters import EventFilterSet
from facts.api.pagination import COUNT_CAP
from facts.models import DATE_ORDER, Event, EvidenceSpan, Participant, Statement
from facts.selectors.pages import count_for_page
from facts.selectors.planning import QueryPlan

API = "/api/v1/"
EVENT_VALUES = (
    "id",
    "title",
    "description",
    "event_type_id",
    "event_type__label",
    "event_type__plover_category",
    "event_type__plover_mode",
    "date_text",
    "date_start",
    "date_end",
    "date_precision",
    "place__slug",
    "place__name",
    "place__kind",
    "parent_id",
    "parent__title",
    "status",
    "sources_count",
)


def _page_size(request) -> int | None:
    try:
        size = int(request.GET.get("page_size", 50))
    except ValueError:
        return None
    return size if 1 <= size <= 500 else None


def _related(ids: list[int], base: str):
    participants, evidence = defaultdict(list), defaultdict(list)
    for p in (
        Participant.objects.filter(event_id__in=ids)
        .order_by("event_id", "id")
        .values("event_id", "role", "actor__slug", "actor__name", "actor__kind")
    ):
        participants[p["event_id"]].append(
            {
                "slug": p["actor__slug"],
                "name": p["actor__name"],
                "kind": p["actor__kind"],
                "role": p["role"],
                "url": f"{base}actors/{p['actor__slug']}/",
            }
        )
    for s in (
        EvidenceSpan.objects.filter(event_id__in=ids)
        .order_by("event_id", "start", "id")
        .values("event_id", "quote", "start", "end", "source_id", "source__title")
    ):
        evidence[s["event_id"]].append(
            {
                "quote": s["quote"],
                "start": s["start"],
                "end": s["end"],
                "source": {
                    "id": s["source_id"],
                    "title": s["source__title"],
                    "url": f"{base}sources/{s['source_id']}/",
                },
            }
        )
    return participants, evidence


def _event(row: dict, participants, evidence, base: str) -> dict:
    pk = row["id"]
    return {
        "id": pk,
        "url": f"{base}events/{pk}/",
        "title": row["title"],
        "description": row["description"],
        "type": {
            "code": row["event_type_id"],
            "label": row["event_type__label"],
            "plover_category": row["event_type__plover_category"],
            "plover_mode": row["event_type__plover_mode"],
            "url": f"{base}event-types/{row['event_type_id']}/",
        },
        "date_text": row["date_text"],
        "date_start": row["date_start"],
        "date_end": row["date_end"],
        "date_precision": row["date_precision"],
        "place": None
        if row["place__slug"] is None
        else {
            "slug": row["place__slug"],
            "name": row["place__name"],
            "kind": row["place__kind"],
            "url": f"{base}places/{row['place__slug']}/",
        },
        "parent": None
        if row["parent_id"] is None
        else {"id": row["parent_id"], "title": row["parent__title"], "url": f"{base}events/{row['parent_id']}/"},
        "participants": participants.get(pk, []),
        "status": row["status"],
        "sources_count": row["sources_count"],
        "sources": sorted(
            {s["source"]["id"]: s["source"] for s in evidence.get(pk, [])}.values(), key=lambda s: s["id"]
        ),
        "evidence": evidence.get(pk, []),
    }


def _filtered(request):
    filterset = EventFilterSet(request.GET, queryset=Event.objects.order_by(*DATE_ORDER), request=request)
    if not filterset.is_valid():
        return None, JsonResponse({"errors": filterset.errors}, status=400)
    return filterset.qs, None


def event_list(request):
    """Events as the API lists them: numbered pages with a count, or `after=<id>` keyset pages."""
    queryset, error = _filtered(request)
    if error:
        return error
    size = _page_size(request)
    if size is None:
        return JsonResponse({"errors": {"page_size": ["Must be from 1 to 500."]}}, status=400)
    base = request.build_absolute_uri(API)
    if "after" in request.GET:
        after = int(request.GET["after"] or 0)
        rows = list(queryset.filter(pk__gt=after).order_by("pk").values(*EVENT_VALUES)[:size])
        count, nxt = None, (f"?after={rows[-1]['id']}&page_size={size}" if len(rows) == size else None)
    else:
        page = max(1, int(request.GET.get("page", 1)))
        # The same capped count as the API (facts.selectors.pages), so both answer the same question at the same cost.
        counted = count_for_page(QueryPlan(queryset, queryset), page, size, COUNT_CAP)
        count = counted.count if counted.exact else max(COUNT_CAP, page * size)
        rows = list(queryset.values(*EVENT_VALUES)[(page - 1) * size : page * size])
        nxt = f"?page={page + 1}" if page * size < counted.count else None
    participants, evidence = _related([r["id"] for r in rows], base)
    body = {"next": nxt, "previous": None, "results": [_event(r, participants, evidence, base) for r in rows]}
    if count is not None:
        body = {"count": count, **body}
    return JsonResponse(body)


def event_detail(request, pk: int):
    """One event with its statements and the events within it."""
    row = Event.objects.filter(pk=pk).values(*EVENT_VALUES).first()
    if row is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    base = request.build_absolute_uri(API)
    participants, evidence = _related([pk], base)
    body = _event(row, participants, evidence, base)
    body["statements"] = [
        {
            "id": s["id"],
            "kind": s["kind"],
            "text": s["text"],
            "speaker": {
                "slug": s["speaker__slug"],
                "name": s["speaker__name"],
                "kind": s["speaker__kind"],
                "url": f"{base}actors/{s['speaker__slug']}/",
            },
            "url": f"{base}statements/{s['id']}/",
        }
        for s in Statement.objects.filter(event_id=pk)
        .order_by(*DATE_ORDER)
        .values("id", "kind", "text", "speaker__slug", "speaker__name", "speaker__kind")
    ]
    body["children"] = [
        {"id": c["id"], "title": c["title"], "url": f"{base}events/{c['id']}/"}
        for c in Event.objects.filter(parent_id=pk).order_by(*DATE_ORDER).values("id", "title")
    ]
    return JsonResponse(body)


def event_csv(request):
    """All matching events as CSV, streamed in chunks of 2,000 with two extra queries per chunk."""
    queryset, error = _filtered(request)
    if error:
        return error
    base = request.build_absolute_uri(API)
    header = [
        "id",
        "url",
        "title",
        "description",
        "type",
        "type.plover_category",
        "type.plover_mode",
        "date_text",
        "date_start",
        "date_end",
        "date_precision",
        "place",
        "parent",
        "participants",
        "status",
        "evidence",
    ]

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        chunk = []
        for row in queryset.values(*EVENT_VALUES).iterator(chunk_size=2000):
            chunk.append(row)
            if len(chunk) == 2000:
                yield from write(chunk, writer, buffer)
                chunk = []
        yield from write(chunk, writer, buffer)

    def write(chunk, writer, buffer):
        participants, evidence = _related([r["id"] for r in chunk], base) if chunk else ({}, {})
        for r in chunk:
            writer.writerow(
                [
                    r["id"],
                    f"{base}events/{r['id']}/",
                    r["title"],
                    r["description"],
                    r["event_type_id"],
                    r["event_type__plover_category"],
                    r["event_type__plover_mode"],
                    r["date_text"],
                    r["date_start"],
                    r["date_end"],
                    r["date_precision"],
                    r["place__slug"] or "",
                    r["parent_id"] or "",
                    " | ".join(f"{p['slug']}:{p['role']}" for p in participants.get(r["id"], [])),
                    r["status"],
                    " | ".join(s["quote"] for s in evidence.get(r["id"], [])),
                ]
            )
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        yield text

    return StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
