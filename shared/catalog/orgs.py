"""Events published by the orgs service."""
from marshmallow import Schema, fields

from . import catalog  # noqa: F401

