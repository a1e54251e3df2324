"""Date expressions as the article words them resolve against its publication date, Monday 2023-05-01."""

from datetime import date

import pytest

from facts.dates import Precision, UnresolvableDate, resolve_date

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


def test_this_week_is_the_week_of_publication():
    resolved = resolve_date("this week", PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (date(2023, 5, 1), date(2023, 5, 7), Precision.WEEK)


def test_month_last_year_is_that_month_of_the_previous_year():
    resolved = resolve_date("November last year", PUBLISHED)
    assert (resolved.start, resolved.end, resolved.precision) == (
        date(2022, 11, 1), date(2022, 11, 30), Precision.MONTH,
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
        date(1990, 1, 1), date(1999, 12, 31), Precision.DECADE,
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
