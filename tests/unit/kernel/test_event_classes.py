"""Events as classes (shared/event.py): one declaration gives the
constructor's checks, the stored form, the decoder and the JSON Schema."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from marshmallow import fields, validate

from shared import codec
from shared.aggregate import Aggregate, when
from shared.catalog import Event, InvalidEvent, catalog, json_schema
from shared.catalog.members import MemberState, ProfileUpdated
from shared.catalog.orgs import OrgRenamed
from shared.database import Database
from shared.envelope import Envelope
from shared.store import EventStore
from shared.tables import events

from services.members.domain import Member

DAY = dt.date(2024, 5, 6)


def test_a_mistyped_field_fails_when_the_event_is_constructed():
    with pytest.raises(InvalidEvent) as refused:
        OrgRenamed(nmae="第二支部", previous_name="第一支部", renamed_on=DAY)
    assert refused.value.errors == {"nmae": ["Unknown field."], "name": ["Missing data for required field."]}


def test_a_wrong_value_fails_when_the_event_is_constructed():
    with pytest.raises(InvalidEvent) as refused:
        OrgRenamed(name="第二支部", previous_name="第一支部", renamed_on="next tuesday")
    assert set(refused.value.errors) == {"renamed_on"}


def test_an_event_keeps_its_payload_and_its_stored_form():
    event = OrgRenamed(name="第二支部", previous_name="第一支部", renamed_on=DAY)
    assert (event.event_type, event.event_version, event.name, event.renamed_on) == \
        ("orgs.org_renamed", 1, "第二支部", DAY)
    assert event.wire == {"name": "第二支部", "previous_name": "第一支部", "renamed_on": "2024-05-06"}
    with pytest.raises(AttributeError):
        event.nmae


def test_a_base_of_shared_fields_is_not_an_event():
    with pytest.raises(TypeError, match="not an event"):
        MemberState(org_id="b", group_id=None, stage="full", status="normal")


def test_a_later_version_without_its_upcaster_is_refused_when_the_class_is_defined():
    with pytest.raises(TypeError, match="upcast_v1_v2"):
        class Renamed(Event):
            event_type = "unit.renamed"
            event_version = 2
            name = fields.String(required=True)


def test_an_aggregate_refuses_an_event_it_has_no_applier_for():
    class Named(Event):
        event_type = "unit.named"
        name = fields.String(required=True)

    class Forgotten(Event):
        event_type = "unit.forgotten"

    class Thing(Aggregate):
        aggregate_type = "thing"

        @when(Named)
        def when_named(self, payload):
            self.name = payload["name"]

    thing = Thing("t1")
    thing.record(Named(name="x"))
    assert thing.name == "x"
    with pytest.raises(TypeError, match="no applier for unit.forgotten"):
        thing.record(Forgotten())
    stored = Envelope("unit.forgotten", 1, "thing", "t1", 1, {})
    with pytest.raises(TypeError, match="no applier"):
        Thing.rehydrate("t1", [stored])


# ---- every registered event ---------------------------------------------------------------

def _sample(field: fields.Field):
    """A valid value of ``field``, the way a domain would construct it."""
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
        if isinstance(validator, validate.Regexp):
            return next(c for c in ("2024-05", "wang.fang") if re.match(validator.regex, c))
        if isinstance(validator, validate.Length):
            return "理" * max(validator.min or 1, 1)
    if isinstance(field, fields.Nested):
        return {name: _sample(f) for name, f in field.schema.fields.items()}
    if isinstance(field, fields.List):
        return [_sample(field.inner), _sample(field.inner)]
    if isinstance(field, fields.Dict):
        return {"applied_on": DAY.isoformat(), "age": 3}
    return {fields.Date: DAY, fields.Decimal: Decimal("12.50"), fields.Integer: 3,
            fields.Boolean: True, fields.String: "党支部"}[type(field)]


def _samples(event_cls):
    full = {name: _sample(field) for name, field in event_cls.payload_fields.items()}
    nulls = {name: (None if field.allow_none else value)
             for (name, field), value in zip(event_cls.payload_fields.items(), full.values())}
    return [full, nulls]


@pytest.mark.parametrize("event_cls", list(catalog), ids=lambda cls: cls.event_type)
def test_every_event_decodes_from_storage_as_a_validating_load_does(event_cls):
    for payload in _samples(event_cls):
        stored = codec.loads(codec.dumps(event_cls(**payload).wire))
        assert event_cls.decode(codec.loads(codec.dumps(stored))) == event_cls.schema.load(stored)


@pytest.mark.parametrize("event_cls", list(catalog), ids=lambda cls: cls.event_type)
def test_every_event_publishes_the_json_schema_of_its_fields(event_cls):
    schema = json_schema(event_cls)
    assert schema["title"] == event_cls.event_type
    assert set(schema.get("properties", {})) == set(event_cls.payload_fields)
    assert set(schema.get("required", [])) == set(event_cls.required_fields)


# ---- the real upcaster: members.profile_updated v1 -> v2 ------------------------------------

V1_PROFILE_UPDATED = {
    "org_id": "branch-1", "group_id": None, "stage": "full", "status": "active", "name": "李明",
    "gender": "male", "birth_date": "1990-03-07", "ethnicity": "汉族", "education": "本科",
    "employer": "苏州大学", "updated_on": "2024-05-06", "changed": ["name", "phone", "id_number"]}


def _registered():
    return {**{k: V1_PROFILE_UPDATED[k] for k in ("org_id", "group_id", "stage", "status", "name", "gender",
                                                  "birth_date", "ethnicity", "education", "employer")},
            "name": "李敏", "registered_on": "2020-01-02", "applied_on": None, "activist_on": None,
            "candidate_on": None, "admitted_on": None, "full_on": "2019-06-01", "probation_ends_on": None,
            "talk_due_on": None, "candidate_eligible_on": None, "next_assessment_due_on": None,
            "rules_version": None}


def test_a_stored_v1_profile_update_loads_as_v2_through_its_upcaster(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'members.db'}")
    rows = [("members.member_registered", 1, 1, _registered()),
            ("members.profile_updated", 1, 2, V1_PROFILE_UPDATED)]
    with db.begin() as conn:  # rows as a v1 writer left them
        conn.execute(events.insert(), [
            {"event_id": f"00000000-0000-0000-0000-00000000000{version}", "event_type": event_type,
             "event_version": event_version, "aggregate_type": "member", "aggregate_id": "m-1",
             "aggregate_version": version, "occurred_at": dt.datetime(2024, 5, 6, tzinfo=dt.timezone.utc),
             "correlation_id": None, "causation_id": None, "actor": None, "payload": codec.dumps(payload)}
            for event_type, event_version, version, payload in rows])
    with db.connect() as conn:
        registered, updated = EventStore("members", catalog).load_stream(conn, "m-1")
    assert (updated.event_version, updated.payload["changed"], updated.payload["personal_data_changed"]) == \
        (2, ["name"], ["phone", "id_number"])
    assert updated.payload["updated_on"] == DAY
    member = Member.rehydrate("m-1", [registered, updated])
    assert (member.version, member.name) == (2, "李明")
    db.dispose()


def test_a_v1_profile_update_from_the_bus_is_upcast_and_validated():
    wire = {"event_id": "00000000-0000-0000-0000-000000000009", "event_type": "members.profile_updated",
            "event_version": 1, "aggregate_type": "member", "aggregate_id": "m-1", "aggregate_version": 2,
            "occurred_at": "2024-05-06T08:00:00+00:00", "correlation_id": None, "causation_id": None,
            "actor": None, "payload": V1_PROFILE_UPDATED}
    envelope = catalog.from_wire(wire)
    assert (envelope.event_version, envelope.payload["changed"], envelope.payload["personal_data_changed"]) == \
        (ProfileUpdated.event_version, ["name"], ["phone", "id_number"])
    with pytest.raises(InvalidEvent, match="version 3"):
        catalog.from_wire({**wire, "event_version": 3})


@pytest.mark.parametrize("event_type, v1, added", [
    ("members.admission_voted",
     {"org_id": "b-1", "group_id": None, "stage": "candidate", "status": "active", "decided_by": None, "note": None,
      "rules_version": "2014", "meeting_date": "2024-04-03", "eligible_voters": 10, "present_voters": 8, "yes": 7,
      "no": 1, "abstain": 0, "approval_due_on": "2024-07-03", "approval_due_on_special": "2024-10-03"},
     {"counted_from": "declared", "attendee_ids": None}),
    ("transfers.letter_issued",
     {"member_id": "m-1", "from_org_id": "b-1", "to_org_id": "b-2", "state": "letter_issued", "decided_by": None,
      "note": None, "number": 1, "reference": None, "issued_on": "2024-04-03", "valid_until": "2024-05-03",
      "rules_version": "2014", "dues_paid_up_to": None, "dues_outstanding": None, "dues_settled": None,
      "dues_source": "unknown"},
     {"serial": None, "issuer_id": None}),
])
def test_votes_and_letters_of_v1_load_with_what_v2_added(event_type, v1, added):
    """Votes before counts came from records were declared; letters before serials have none."""
    wire = {"event_id": "00000000-0000-0000-0000-00000000000a", "event_type": event_type, "event_version": 1,
            "aggregate_type": "member", "aggregate_id": "m-1", "aggregate_version": 9,
            "occurred_at": "2024-05-06T08:00:00+00:00", "correlation_id": None, "causation_id": None,
            "actor": None, "payload": v1}
    envelope = catalog.from_wire(wire)
    assert envelope.event_version == 2
    assert {name: envelope.payload[name] for name in added} == added
