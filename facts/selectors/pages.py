"""Reading one numbered page of a planned list (facts.selectors.planning.QueryPlan): its count, then its rows.

The count is capped: it stops after `cap` matching rows (or at the end of the requested page, if further), so a page
of a million-row list never counts a million rows; `Page.exact` says whether `count` is the true total. A search
picks its page's ids together with the exact total, in one query (its page reads every match anyway). Rows are
model instances, or plain dicts of `columns` (values()) for lists whose JSON is built from rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from django.db import connections
from django.db.models import Count, F, Window
from django.db.models.expressions import OrderBy

from facts.selectors.planning import QueryPlan


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, the rows related to them, and what is known of the total."""

    rows: list
    count: int  # the total when `exact`, else the cap (the true total is larger)
    exact: bool
    number: int
    num_pages: int  # as far as the count went: exact when `exact`, else enough to know a next page exists
    related: dict = field(default_factory=dict)  # {row id: {name: [related rows]}}, filled by the fact selectors

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


class PageMissing(Exception):
    """The requested page is past the last one (the count then reached the end: `num_pages` is exact)."""

    def __init__(self, num_pages: int):
        super().__init__(num_pages)
        self.num_pages = num_pages


def own_column(term) -> bool:
    """Whether an order_by() term sorts by a column of the model itself ("title", "-id", date_order("date_start"))."""
    if isinstance(term, OrderBy):
        term = term.expression
    if isinstance(term, F):
        term = term.name
    return isinstance(term, str) and "__" not in term


def as_columns(page, columns):
    """The rows of a page (a queryset), as dicts of `columns` if given, read after the count so the count carries
    no joins.

    When the page is a slice ordered by the model's own columns, its ids are picked first and only those rows are
    joined to their place, type and so on (a "deferred join"): a search matching thousands of events then sorts
    bare ids instead of joining every match before the sort.
    """
    if not columns:
        return page
    if not page.query.is_sliced:
        return page.values(*columns)
    ordering = page.query.order_by or page.model._meta.ordering
    if not all(own_column(term) for term in ordering):
        return page.values(*columns)
    joined = page.model._default_manager.filter(pk__in=page.values("pk")).order_by(*ordering).values(*columns)
    return joined if page.query.standard_ordering else joined.reverse()  # a reversed page (page_rows) stays so


def pick_sql(matches_sql: str) -> str:
    """The query of pick_from_matches around the SQL of `matches`; its last two parameters are LIMIT and OFFSET."""
    # NULLS FIRST: the default order of the lists (facts.models.DATE_ORDER) on every database.
    return (
        f"SELECT m.id, COUNT(*) OVER () FROM ({matches_sql}) m ORDER BY m.date_start NULLS FIRST, m.id "
        "LIMIT %s OFFSET %s"
    )


def pick_from_matches(matches, offset: int, limit: int) -> list[tuple[int, int]]:
    """(id, total) for the rows offset..offset+limit of `matches` in (date_start, id) order (undated and open-start
    rows first, as facts.models.DATE_ORDER sorts), the total counted over all.

    Raw SQL because the ORM can neither annotate nor count a UNION in the same query; the UNION's own SQL and
    parameters come from the ORM. Its columns take the names of its first branch's, "id" and "date_start".
    """
    sql, params = matches.query.sql_with_params()
    with connections[matches.db].cursor() as cursor:
        cursor.execute(pick_sql(sql), [*params, limit, offset])
        return cursor.fetchall()


def pick_with_count(plan: QueryPlan, offset: int, limit: int) -> list[tuple[int, int]]:
    """(id, total) of the page's rows, the window count taken over every match before LIMIT."""
    if plan.matches is not None:
        return pick_from_matches(plan.matches, offset, limit)
    counted = plan.queryset.annotate(total_matches=Window(Count("*")))
    return list(counted.values_list("pk", "total_matches")[offset : offset + limit])


def rows_by_id(plan: QueryPlan, ids: list, columns) -> list:
    """The rows of ids picked with the count, from the unfiltered list, in the order of `ids`."""
    position = {pk: i for i, pk in enumerate(ids)}
    rows = as_columns(plan.base.filter(pk__in=ids), columns)
    return sorted(rows, key=lambda row: position[row["id"] if isinstance(row, dict) else row.pk])


def num_pages(count: int, size: int) -> int:
    """Pages of `size` for `count` rows; an empty list still has its (empty) first page."""
    return max(1, ceil(count / size))


@dataclass(frozen=True)
class Counted:
    """What counting for a page found: `count` rows (the total if `exact`), and the page's ids if picked with it."""

    count: int
    exact: bool
    picked: list | None = None


def count_for_page(plan: QueryPlan, number: int, size: int, cap: int) -> Counted:
    """The count for page `number`: far enough to tell whether it exists and whether another page follows it.

    It stops after `cap` rows, or at the end of the page if further (a plan that picks its page with the count
    counts every match, exactly).
    """
    if plan.count_with_page:
        picked = pick_with_count(plan, (number - 1) * size, size)
        if picked:
            return Counted(picked[0][1], True, [pk for pk, _ in picked])
    limit = max(cap, number * size) + 1
    counted = (plan.counted if plan.counted is not None else plan.queryset).order_by()[:limit].count()
    return Counted(counted, counted < limit)


def page_rows(queryset, *, bottom: int, top: int, total: Counted, columns) -> list:
    """Rows bottom..top of `queryset` (as dicts of `columns`, if given), read from whichever end is nearer.

    A page in the second half of an exactly counted list (`page=last`, deep numbered pages) is read in the reversed
    order and turned back: the database then skips the rows after the page, not the ones before it. `page=last` of
    10^6 events skipped 999,950 rows (550 ms at p95, bench.questions). Every list order ends with the primary key
    (facts.api.filter_fields.StableOrderingFilter, DATE_ORDER), so the reversed order is the exact mirror.
    """
    after = total.count - top
    if not total.exact or after >= bottom:
        return list(as_columns(queryset[bottom:top], columns))
    return list(as_columns(queryset.reverse()[after : after + (top - bottom)], columns))[::-1]


def read_page(plan: QueryPlan, *, number: int | None, size: int, cap: int, columns=None) -> Page:
    """Page `number` (None: the last page, which counts every row) of `size` rows, its count capped at `cap`.

    Raises PageMissing for a page past the end.
    """
    if number is None:
        counted = plan.counted if plan.counted is not None else plan.queryset
        total = Counted(counted.count(), True)
        number = num_pages(total.count, size)
    else:
        total = count_for_page(plan, number, size, cap)
    pages = num_pages(total.count, size)
    if number > pages:
        raise PageMissing(pages)
    if total.picked is not None:
        rows = rows_by_id(plan, total.picked, columns)
    else:
        top = min(number * size, total.count)
        rows = page_rows(plan.queryset, bottom=(number - 1) * size, top=top, total=total, columns=columns)
    reported = total.count if total.exact else max(cap, number * size)
    return Page(rows=rows, count=reported, exact=total.exact, number=number, num_pages=pages)


@dataclass(frozen=True)
class CursorPage:
    """One keyset page, ordered by id: its rows, and the positions (ids, as text) its neighbours start from."""

    rows: list
    has_next: bool
    has_previous: bool
    next_position: str | None
    previous_position: str | None
    related: dict = field(default_factory=dict)


def position_of(row) -> str:
    return str(row["id"] if isinstance(row, dict) else row.pk)


def read_cursor_page(queryset, *, position, reverse: bool, offset: int, size: int, columns=None) -> CursorPage:
    """The `size` rows after id `position` (before it if `reverse`), skipping `offset`: constant cost however deep.

    One row more is read to know whether a page follows; the positions are those DRF's cursor links encode.
    """
    queryset = (queryset.values(*columns) if columns else queryset).order_by("-pk" if reverse else "pk")
    if position is not None:
        queryset = queryset.filter(pk__lt=position) if reverse else queryset.filter(pk__gt=position)
    found = list(queryset[offset : offset + size + 1])
    rows, following = found[:size], position_of(found[-1]) if len(found) > size else None
    resumed = position is not None or offset > 0
    if reverse:
        return CursorPage(rows[::-1], resumed, following is not None, position if resumed else None, following)
    return CursorPage(rows, following is not None, resumed, following, position if resumed else None)
