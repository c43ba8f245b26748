"""PRC resident ID numbers and phone numbers (their checks and masks) and the
order of a member's stage dates. Plain functions, no schema library: the
members contract's fields and the member's domain modules both use them.
Messages never repeat an ID number or a phone number."""
import datetime as dt
import re

from .vocabulary import STAGE_DATES, STAGES


# ---- personal identifiers -------------------------------------------------------

ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK = "10X98765432"
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
PHONE_PATTERN = re.compile(r"(\+?86[- ]?)?1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}")


def phone_digits(value: str) -> str:
    """A phone number as it is searched by: its digits, a mobile's +86 dropped
    ("+86 138-1234-5678" and "13812345678" are one number)."""
    digits = re.sub(r"[^0-9]", "", value)
    return digits[2:] if len(digits) == 13 and digits.startswith("861") else digits


def normalise_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits."""
    return ID_NUMBER_CHECK[sum(int(d) * w for d, w in zip(first17, ID_NUMBER_WEIGHTS)) % 11]


def id_number_birth_date(value: str) -> dt.date | None:
    """The birth date coded in an 18-character ID number (None if not a date)."""
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def id_number_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a PRC resident ID number (18
    characters, GB 11643 check digit), or None. The message never repeats
    the value."""
    value = normalise_id_number(value)
    if len(value) != 18:
        return "An ID number has 18 characters."
    if not _ID_NUMBER.fullmatch(value):
        return "An ID number is 17 digits and a check digit (0-9 or X)."
    if id_number_birth_date(value) is None:
        return "The ID number does not contain a valid birth date."
    if id_number_check_digit(value[:17]) != value[17]:
        return "The ID number's check digit is wrong."
    return None


def mask_id_number(value: str | None) -> str | None:
    """``3205**********1234``: region prefix and last four only."""
    if value is None:
        return None
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    """``138****5678``: the first three and last four characters only."""
    if value is None:
        return None
    if len(value) >= 9:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * (len(value) - 2) + value[-2:]


# ---- stage dates ----------------------------------------------------------------

def stage_date_problems(stage: str, dates: dict, birth_date: dt.date | None = None) -> dict:
    """What is wrong with the stage dates of a member registered at ``stage``:
    the date of every step up to the stage's own is required (a history of
    the member, which ``services.members.history`` judges by the rules),
    dates of later stages are not allowed, and the dates are in pipeline
    order, after the birth date. {field: message}; empty if all is well."""
    if stage not in STAGES:
        return {}
    order = list(STAGE_DATES.values())
    reached = order[:STAGES.index(stage) + 1]
    problems = {}
    for name in reached:
        if dates.get(name) is None:
            problems[name] = f"Required for a member at stage {stage}."
    for name in order:
        if name not in reached and dates.get(name) is not None:
            problems[name] = f"Not allowed for a member at stage {stage}."
    given = [(name, dates[name]) for name in reached if dates.get(name) is not None]
    if birth_date is not None and given and given[0][1] <= birth_date:
        problems.setdefault(given[0][0], "Must be after the birth date.")
    for (before, earlier), (name, later) in zip(given, given[1:]):
        strictly = name == "full_on"
        if later < earlier or (strictly and later == earlier):
            problems.setdefault(name, f"Must be {'after' if strictly else 'on or after'} {before}.")
    return problems
