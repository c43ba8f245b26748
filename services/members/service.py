"""The members service's nameko entrypoints: validate input with the published
contract, run one command in one unit of work, answer from the read models;
and keep the projection of orgs' events the registration rules need.

Nothing here logs request data: ID numbers and phones must not reach a log."""
from shared.contracts import members as contract
from shared.errors import NotFound
from shared.nameko_adapter import CallContext, EventSourcing, domain_rpc, event_consumer
from shared.rpc_io import identifier as _id, out as _out, today as _today, valid as _valid

# The transfer mixin is reached through its module: `nameko run` takes every
# class with entrypoints found in this module's namespace for a service.
from . import commands, org_events, projections, queries, transfer_projections, transfer_service


class MembersService(transfer_service.TransferEntrypoints):
    """Transfers' entrypoints (transfer_service.py) are a mixin."""
    name = "members"
    kernel = EventSourcing("members", projectors=[projections.project, transfer_projections.project],
                           metadatas=[projections.metadata])
    ctx = CallContext()

    def _read(self):
        return self.kernel.db.connect()

    def _member_out(self, conn, member_id, reveal_personal=False):
        return _out(contract.MemberOut, queries.get_member(conn, member_id, reveal_personal))

    @domain_rpc
    def ping(self):
        return "pong"

    # ---- records -------------------------------------------------------------
    @domain_rpc
    def register_member(self, data):
        fields = _valid(contract.RegisterMemberIn, data)
        with self.kernel.unit_of_work() as uow:
            member_id = commands.register_member(uow, today=_today(), **fields)
            return self._member_out(uow.conn, member_id)

    @domain_rpc
    def get_member(self, member_id, reveal_personal=False):
        params = _valid(contract.GetMemberIn, {"reveal_personal": reveal_personal})
        with self._read() as conn:
            return self._member_out(conn, _id(member_id), params["reveal_personal"])

    @domain_rpc
    def update_member(self, member_id, data):
        fields = _valid(contract.UpdateMemberIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.update_member(uow, _id(member_id), today=_today(), **fields)
            return self._member_out(uow.conn, member_id)

    @domain_rpc
    def list_members(self, org_id, stage=None, status=None, limit=50, offset=0):
        params = _valid(contract.MemberListIn, {"stage": stage, "status": status, "limit": limit, "offset": offset})
        with self._read() as conn:
            return _out(contract.MemberPageOut, queries.list_members(conn, _id(org_id, "org_id"), **params))

    @domain_rpc
    def change_status(self, member_id, data):
        fields = _valid(contract.ChangeStatusIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.change_status(uow, _id(member_id), today=_today(), **fields)
            return self._member_out(uow.conn, member_id)

    # ---- the development pipeline -------------------------------------------
    @domain_rpc
    def pipeline_step(self, member_id, step, data=None):
        if not isinstance(step, str) or step not in contract.PIPELINE_STEPS:
            shown = str(step)[:60]
            raise NotFound(f"pipeline step {shown!r} does not exist; steps are "
                           + ", ".join(contract.PIPELINE_STEPS), {"step": shown})
        fields = _valid(contract.PIPELINE_STEPS[step][0], data)
        with self.kernel.unit_of_work() as uow:
            commands.pipeline_step(uow, _id(member_id), step, today=_today(), **fields)
            return self._member_out(uow.conn, member_id)

    @domain_rpc
    def pipeline_due(self, org_id, as_of=None):
        params = _valid(contract.PipelineDueIn, {"as_of": as_of})
        with self._read() as conn:
            return _out(contract.PipelineDueOut,
                        queries.pipeline_due(conn, _id(org_id, "org_id"), params["as_of"] or _today()))

    # ---- organisations, from orgs' events ------------------------------------
    def _org_event(self, consumer, envelope):
        return self.kernel.handle_once(consumer, envelope, org_events.apply_org_event)

    @event_consumer("orgs", "orgs.org_created")
    def on_org_created(self, envelope):
        return self._org_event("members.on_org_created", envelope)

    @event_consumer("orgs", "orgs.branch_founded")
    def on_branch_founded(self, envelope):
        return self._org_event("members.on_branch_founded", envelope)

    @event_consumer("orgs", "orgs.org_renamed")
    def on_org_renamed(self, envelope):
        return self._org_event("members.on_org_renamed", envelope)

    @event_consumer("orgs", "orgs.org_dissolved")
    def on_org_dissolved(self, envelope):
        return self._org_event("members.on_org_dissolved", envelope)
