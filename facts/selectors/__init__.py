"""Reading lists and objects for the read API: a planned page (count, rows, related rows), one object, an export.

Every read takes explicit arguments and returns plain data: the plan a FilterSet made (planning.QueryPlan), the
page asked for, the columns to read and the reader of related rows (related.*). Nothing is left on a queryset or a
serializer for another layer to find.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import islice

from facts.selectors.pages import CursorPage, Page, PageMissing, read_cursor_page, read_page
from facts.selectors.planning import QueryPlan

__all__ = ["CursorPage", "Page", "PageMissing", "QueryPlan", "cursor_page", "export_chunks", "list_page", "one_row"]

# (fact ids, names of the fields shown) -> {fact id: {name: [related rows]}}: one of facts.selectors.related.
RelatedReader = Callable[[list, tuple], dict]


def list_page(
    plan: QueryPlan,
    *,
    number: int | None,
    size: int,
    cap: int,
    columns: tuple | None = None,
    related: RelatedReader | None = None,
    wanted: tuple = (),
) -> Page:
    """Page `number` (None: the last) of a planned list, with the rows related to it.

    `columns`: read plain rows (dicts) of those columns instead of model instances; `related` then reads the rows
    related to the page, for the fields `wanted`. Raises PageMissing past the last page.
    """
    page = read_page(plan, number=number, size=size, cap=cap, columns=columns)
    if related is None:
        return page
    return replace(page, related=related([row["id"] for row in page.rows], wanted))


def cursor_page(
    plan: QueryPlan,
    *,
    position,
    reverse: bool,
    offset: int,
    size: int,
    columns: tuple | None = None,
    related: RelatedReader | None = None,
    wanted: tuple = (),
) -> CursorPage:
    """A keyset page of a planned list, ordered by id (see pages.read_cursor_page), with its related rows."""
    page = read_cursor_page(
        plan.queryset, position=position, reverse=reverse, offset=offset, size=size, columns=columns
    )
    if related is None:
        return page
    return replace(page, related=related([row["id"] for row in page.rows], wanted))


def one_row(queryset, *, lookup: dict, columns: tuple, related: RelatedReader, wanted: tuple) -> Page:
    """The object `lookup` finds, as a page of one row (a plain row of `columns`) with its related rows.

    Raises the model's DoesNotExist (or ValueError for a key of the wrong type) when there is none.
    """
    row = queryset.values(*columns).get(**lookup)
    return Page(rows=[row], count=1, exact=True, number=1, num_pages=1, related=related([row["id"]], wanted))


def export_chunks(
    queryset,
    *,
    chunk_size: int,
    columns: tuple | None = None,
    related: RelatedReader | None = None,
    wanted: tuple = (),
) -> Iterator[Page]:
    """Every row of `queryset`, `chunk_size` at a time, each chunk a Page with its related rows.

    iterator(chunk_size) keeps prefetches working per chunk and, on PostgreSQL, uses a server-side cursor.
    """
    source = (queryset.values(*columns) if columns else queryset).iterator(chunk_size=chunk_size)
    while batch := list(islice(source, chunk_size)):
        rows = related([row["id"] for row in batch], wanted) if related is not None else {}
        yield Page(rows=batch, count=len(batch), exact=True, number=1, num_pages=1, related=rows)
