"""Field helpers the members contract's commands and answers share: not part of
the published language, which ``shared.contracts.members`` re-exports."""

from marshmallow import ValidationError, fields, validate

from ...identifiers import PHONE_PATTERN, id_number_birth_date, id_number_problem, normalise_id_number
from ..common import ID, describe as _describe


class IdNumber(fields.String):
    """An 18-character PRC resident ID number, check digit validated."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = normalise_id_number(super()._deserialize(value, attr, data, **kwargs))
        problem = id_number_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class Phone(fields.String):
    """A mainland mobile (11 digits, optional +86) or landline (0512-62345678)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not PHONE_PATTERN.fullmatch(value):
            raise ValidationError("Not a valid phone number (mobile 13812345678 or landline 0512-62345678).")
        return value


def _count(text, example, minimum=0, required=True):
    presence = {"required": True} if required else {"load_default": None, "allow_none": True}
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=100_000),
                          metadata=_describe(text, example), **presence)


def _expected_version():
    return fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1),
                          metadata=_describe("refuse (409) if the member changed since this version"))


def _ids(text, example):
    return fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1, max=5),
                       metadata=_describe(text, example))


def _check_id_birth_date(data):
    id_number, birth_date = data.get("id_number"), data.get("birth_date")
    if id_number and birth_date and id_number_birth_date(id_number) != birth_date:
        raise ValidationError({"id_number": ["The birth date in the ID number does not match birth_date."]})


