"""Date expressions as the article words them resolve against its publication date, Monday 2023-05-01."""

from datetime import date

import pytest

from facts.dates import Precision, UnresolvableDate, fitting_precision, precision_refused, resolve_date, undated

PUBLISHED = date(2023, 5, 1)  # a Monday


@pytest.mark.parametrize(
    "expression, start, end, precision",
    [
        ("Sunday", date(2023, 4, 30), date(2023, 4, 30), Precision.DAY),
        ("On Sunday", date(2023, 4, 30), date(2023, 4, 30), Precision.DAY),
        ("on Monday", date(2023, 5, 1), date(2023, 5, 1), Precision.DAY),
        ("Saturday", date(2023, 4, 29), date(2023, 4, 29), Precision.DAY),
        ("yesterday", date(2023, 4, 30), date(2023, 4, 30), Precision.DAY),
    ],
)
def test_weekday_names_point_to_the_most_recent_such_day(expression, start, end, precision):
    resolved = resolve_date(expression, PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (start, end, precision)


def test_last_week_is_the_monday_to_sunday_week_before_publication():
    resolved = resolve_date("last week", PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (date(2023, 4, 24), date(2023, 4, 30), Precision.WEEK)


def test_this_week_reported_as_past_runs_from_the_monday_to_publication():
    # "Tensions have spiked again this week", in a report published on Monday: that Monday, not the week ahead.
    for resolved in (resolve_date("this week", PUBLISHED), resolve_date("this week", PUBLISHED, reported="past")):
        assert (resolved.start, resolved.end, resolved.precision) == (PUBLISHED, PUBLISHED, Precision.DAY)
    later = resolve_date("this week", date(2023, 5, 3))  # a Wednesday: Monday to Wednesday, no single unit
    assert (later.start, later.end, later.precision) == (date(2023, 5, 1), date(2023, 5, 3), Precision.RANGE)


@pytest.mark.parametrize("reported", ["present", "future"])
def test_this_week_as_of_or_after_publication_is_the_whole_week(reported):
    resolved = resolve_date("this week", PUBLISHED, reported=reported)
    assert (resolved.start, resolved.end, resolved.precision) == (date(2023, 5, 1), date(2023, 5, 7), Precision.WEEK)


@pytest.mark.parametrize(
    "expression, start, end, precision",
    [
        ("this month", date(2023, 5, 1), date(2023, 5, 1), Precision.DAY),
        ("this year", date(2023, 1, 1), date(2023, 5, 1), Precision.RANGE),
        ("last week", date(2023, 4, 24), date(2023, 4, 30), Precision.WEEK),
        ("in 2023", date(2023, 1, 1), date(2023, 5, 1), Precision.RANGE),
    ],
)
def test_a_past_fact_ends_no_later_than_publication_and_its_precision_says_what_is_left(
    expression, start, end, precision
):
    resolved = resolve_date(expression, PUBLISHED, reported="past")
    assert (resolved.start, resolved.end, resolved.precision) == (start, end, precision)


@pytest.mark.parametrize(
    "expression",
    [
        "the expected four days of talks between the two sides Monday",
        "expected four days of talks Monday",
        "four days from Monday",
        "4 days starting Monday",
    ],
)
def test_an_expected_duration_runs_from_the_day_it_names(expression):
    resolved = resolve_date(expression, PUBLISHED, reported="future")
    assert (resolved.start, resolved.end, resolved.precision) == (date(2023, 5, 1), date(2023, 5, 4), Precision.RANGE)


def test_a_duration_of_one_week_from_a_monday_is_that_week():
    resolved = resolve_date("one week from Monday", PUBLISHED, reported="future")
    assert (resolved.start, resolved.end, resolved.precision) == (date(2023, 5, 1), date(2023, 5, 7), Precision.WEEK)


@pytest.mark.parametrize(
    "expression, reported, message",
    [
        ("the expected four days of talks between the two sides Monday", "past", "presents the fact as expected"),
        ("next week", "past", "lies after the publication date"),
        ("last week", "present", "does not include the publication date"),
        ("last week", "future", "ends before the publication date"),
    ],
)
def test_an_expression_that_contradicts_its_tense_is_refused(expression, reported, message):
    with pytest.raises(UnresolvableDate, match=message):
        resolve_date(expression, PUBLISHED, reported=reported)


def test_an_unknown_tense_is_a_programming_error_not_an_unresolvable_date():
    with pytest.raises(ValueError, match="reported must be one of") as raised:
        resolve_date("Sunday", PUBLISHED, reported="pluperfect")
    assert not isinstance(raised.value, UnresolvableDate)


@pytest.mark.parametrize("expression", ["decades-long", "years-long", "a decade-long", "months-long"])
@pytest.mark.parametrize("reported", ["past", "present"])
def test_a_state_that_has_lasted_decades_ends_at_publication_with_its_start_open(expression, reported):
    # "their decades-long standoff": begun at least 20 years before publication, a bound on the start from above that
    # an earliest..latest interval cannot hold; the start stays open (None), never guessed.
    resolved = resolve_date(expression, PUBLISHED, reported=reported)
    assert (resolved.start, resolved.end, resolved.precision) == (None, PUBLISHED, Precision.OPEN)


def test_a_fact_bounded_by_its_tense_alone_keeps_the_unknown_bound_open():
    for reported in ("past", "present"):  # happened before, or holds as of, publication: start unknown
        bounded = undated(PUBLISHED, reported=reported)
        assert (bounded.start, bounded.end, bounded.precision) == (None, PUBLISHED, Precision.OPEN)
    expected = undated(PUBLISHED, reported="future")
    assert (expected.start, expected.end, expected.precision) == (PUBLISHED, None, Precision.OPEN)


@pytest.mark.parametrize(
    "start, end, precision",
    [
        (None, None, ""),
        (None, PUBLISHED, "open"),
        (PUBLISHED, None, "open"),
        (PUBLISHED, PUBLISHED, "day"),
        (date(2023, 4, 24), date(2023, 4, 30), "week"),
        (date(2023, 2, 1), date(2023, 2, 28), "month"),
        (date(2020, 1, 1), date(2020, 12, 31), "year"),
        (date(1990, 1, 1), date(1999, 12, 31), "decade"),
        (date(2020, 1, 1), date(2023, 5, 1), "range"),
        (date(2023, 4, 25), date(2023, 5, 1), "range"),
    ],
)
def test_the_fitting_precision_describes_the_bounds(start, end, precision):
    assert fitting_precision(start, end) == precision
    assert precision_refused(precision, start, end) is None


@pytest.mark.parametrize(
    "precision, start, end",
    [
        ("year", date(2020, 1, 1), date(2023, 5, 1)),
        ("day", date(2023, 4, 30), PUBLISHED),
        ("month", date(2023, 2, 1), date(2023, 3, 31)),
        ("open", PUBLISHED, PUBLISHED),
        ("day", None, PUBLISHED),
    ],
)
def test_a_precision_that_misdescribes_the_bounds_is_refused(precision, start, end):
    assert precision_refused(precision, start, end)
    assert precision_refused("range", date(2020, 1, 1), date(2023, 5, 1)) is None


def test_month_last_year_is_that_month_of_the_previous_year():
    resolved = resolve_date("November last year", PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (
        date(2022, 11, 1),
        date(2022, 11, 30),
        Precision.MONTH,
    )


def test_a_bare_month_already_past_this_year_is_this_year():
    resolved = resolve_date("February", PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (date(2023, 2, 1), date(2023, 2, 28), Precision.MONTH)


def test_a_bare_month_not_yet_reached_is_last_year():
    resolved = resolve_date("in December", PUBLISHED)
    assert (resolved.start, resolved.end) == (date(2022, 12, 1), date(2022, 12, 31))


@pytest.mark.parametrize("expression, year", [("in 1990", 1990), ("in 2020", 2020), ("1994", 1994)])
def test_a_year_covers_the_whole_year(expression, year):
    resolved = resolve_date(expression, PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (date(year, 1, 1), date(year, 12, 31), Precision.YEAR)


@pytest.mark.parametrize("expression", ["March 2021", "in March 2021", "Mar. 2021"])
def test_month_and_year_cover_that_month(expression):
    resolved = resolve_date(expression, PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (date(2021, 3, 1), date(2021, 3, 31), Precision.MONTH)


@pytest.mark.parametrize("expression", ["2022-12-05", "5 December 2022", "December 5, 2022"])
def test_a_full_date_is_that_day(expression):
    resolved = resolve_date(expression, PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (date(2022, 12, 5), date(2022, 12, 5), Precision.DAY)


@pytest.mark.parametrize("expression", ["the 1990s", "in the 1990s"])
def test_a_decade_covers_ten_years(expression):
    resolved = resolve_date(expression, PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (
        date(1990, 1, 1),
        date(1999, 12, 31),
        Precision.DECADE,
    )


@pytest.mark.parametrize("expression", ["", "   ", "soon", "the week before the talks", "in the spring"])
def test_an_expression_the_resolver_does_not_understand_raises_unresolvable_date(expression):
    with pytest.raises(UnresolvableDate):
        resolve_date(expression, PUBLISHED)


@pytest.mark.parametrize("expression", ["2023-13-45", "30 February 2023", "February 30"])
def test_a_well_formed_expression_naming_no_real_day_raises_unresolvable_date(expression):
    with pytest.raises(UnresolvableDate, match="names no real date"):
        resolve_date(expression, PUBLISHED)


def test_the_unresolvable_message_quotes_the_expression():
    with pytest.raises(UnresolvableDate, match="“soon”"):
        resolve_date("soon", PUBLISHED)
