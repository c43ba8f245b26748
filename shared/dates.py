"""Calendar arithmetic the regulations are stated in (no rule numbers here). Pure.

"N months after" a date is the same day of the month N months later; where
that month is shorter, its last day (so one year after 29 February is 28
February). "A year" is twelve such months: the same calendar date next year,
not 365 days.
"""
import calendar
import datetime as dt

from .errors import InvalidInput


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed years on ``on``; a birthday itself counts as completed."""
    years = on.year - birth_date.year
    return years if add_years(birth_date, years) <= on else years - 1


def working_days(first: dt.date, last: dt.date) -> int:
    """Monday-to-Friday days from ``first`` to ``last``, both included.
    Public holidays are not known here: a notice spanning one counts it."""
    if last < first:
        return 0
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (first.weekday() + offset) % 7 < 5:
            count += 1
    return count


def not_future(day: dt.date, today: dt.date, field: str):
    """An act that must already have happened (a meeting held, a decision
    taken, an organisation created) cannot be dated after today."""
    if day > today:
        raise InvalidInput(f"{field} {day.isoformat()} is in the future", {field: day.isoformat()})


def act_date(given: dt.date | None, today: dt.date, field: str) -> dt.date:
    """The date of an act: as given (not after today), or today if none was."""
    if given is None:
        return today
    not_future(given, today, field)
    return given
