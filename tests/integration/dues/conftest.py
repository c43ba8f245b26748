"""DuesService in a real nameko container on a throwaway RabbitMQ vhost and a
fresh PostgreSQL database (tests/platform_factory.py), fed members' and orgs'
events by ``feed``; ``event_tap`` (durable: it outlives a broker restart)
is bound to ``dues.events``."""
import datetime as dt
import uuid
from contextlib import closing

import pytest

from platform_factory import Publisher, PlatformFixtures, provider, wait_for
from services.dues.service import DuesService
from shared.catalog import catalog
from shared.envelope import Envelope

it = PlatformFixtures("dues", ("dues",), (DuesService,), max_workers=20)
nameko_platform, dues_config, event_tap = it.platform, it.config, it.tap("dues")
dues = it.rpc("dues", actor=None, timeout=30)
"""An RPC proxy to the dues service, with no caller context (as another service calls)."""


@pytest.fixture
def dues_container(nameko_platform):
    return nameko_platform.running()["dues"]


@pytest.fixture
def dues_kernel(dues_container):
    """The service's EventSourcing provider: its database and outbox relay."""
    return provider(dues_container)


@pytest.fixture
def wait():
    """``wait(predicate, timeout=30, what=...)``: poll until it returns something true."""
    return wait_for


class EventFeed(Publisher):
    """Publishes events as the members and orgs services do: catalog-valid
    envelopes on their exchanges, routed by event type."""

    def __init__(self, amqp_uri):
        super().__init__(amqp_uri)
        self.versions: dict[str, int] = {}

    def event(self, service, aggregate_type, aggregate_id, event_type, payload):
        version = self.versions[aggregate_id] = self.versions.get(aggregate_id, 0) + 1
        envelope = Envelope(event_type=event_type, event_version=1, aggregate_type=aggregate_type,
                            aggregate_id=aggregate_id, aggregate_version=version, payload=payload,
                            actor="test-feed", correlation_id=f"feed-{uuid.uuid4().hex[:8]}")
        self.publish(f"{service}.events", event_type, catalog.to_wire(envelope))
        return envelope

    def admitted(self, member_id, org_id, admitted_on: dt.date):
        return self.event("members", "member", member_id, "members.admission_approved", {
            "org_id": org_id, "group_id": None, "stage": "probationary", "status": "active",
            "decided_by": "committee", "note": None, "rules_version": "test", "approved_on": admitted_on,
            "special": False, "admitted_on": admitted_on,
            "probation_ends_on": admitted_on.replace(year=admitted_on.year + 1)})

    def status_changed(self, member_id, org_id, status, previous, changed_on: dt.date, stage="probationary"):
        return self.event("members", "member", member_id, "members.status_changed", {
            "org_id": org_id, "group_id": None, "stage": stage, "status": status, "previous_status": previous,
            "changed_on": changed_on, "reason": "test", "grounds": None, "grounds_since": None,
            "rules_version": "test"})

    def org(self, org_id, parent_id, kind, name=None, on=dt.date(2020, 1, 1)):
        if kind in ("branch", "joint_branch"):
            unit = {"name": f"{org_id} unit", "unit_type": "enterprise", "address": None}
            payload = {"name": name or org_id, "kind": kind, "parent_id": parent_id, "unit": unit,
                       "covered_units": [], "full_members": 5, "probationary_members": 0, "founded_on": on,
                       "founded_directly": True, "founding_request_id": None, "founding_member_ids": [],
                       "rules_version": "2014"}
            return self.event("orgs", "organisation", org_id, "orgs.branch_founded", payload)
        return self.event("orgs", "organisation", org_id, "orgs.org_created", {
            "name": name or org_id, "kind": kind, "parent_id": parent_id, "unit": None, "created_on": on})


@pytest.fixture
def feed(dues_container, dues_config):
    """Publishes after the service's queues are bound (the container is started)."""
    with closing(EventFeed(dues_config["AMQP_URI"])) as events:
        yield events
