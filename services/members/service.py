"""The members service's nameko entrypoints: validate input with the published
contract, run one command in one unit of work, answer from the read models;
and keep the projection of orgs' events the registration rules need.

Personal data: encrypted under the master key of the container config
``MASTER_KEY`` (the service refuses to start without a valid one), and shown
only to a caller whose access token (forwarded by the gateway in the RPC
context, verified here with ``JWT_SECRET``) may see it: whatever the caller
says (a ``reveal_personal`` argument is ignored). Nothing here logs request
data: ID numbers and phones must not reach a log."""
import eventlet
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from shared import codec
from shared.contracts import members as contract
from shared.contracts.common import PageIn
from shared.contracts.orgs import EventPageOut
from shared.errors import NotFound
from shared.nameko_adapter import CallContext, EventSourcing, domain_rpc, event_consumer
from shared.rpc_io import identifier as _id, out as _out, today as _today, valid as _valid

# The transfer mixin is reached through its module: `nameko run` takes every
# class with entrypoints found in this module's namespace for a service.
from . import commands, imports, org_replica, personal, projections, queries, tables
from .org_replica import org_kind
from .transfers import projections as transfer_projections, serials, service as transfer_service  # noqa: F401 (serials: its table)
from .transfers import tables as transfer_tables
from .vault import Vault, VaultMisconfigured


class PersonalDataVault(DependencyProvider):
    """The vault of the container's ``MASTER_KEY``; a missing or malformed
    key stops the container from starting."""

    def setup(self):
        try:
            self.vault = Vault.from_config(self.container.config)
        except VaultMisconfigured as exc:
            raise VaultMisconfigured(f"members service not started: {exc}") from None

    def get_dependency(self, worker_ctx):
        return self.vault


READ_MODELS = (projections.MEMBERS, transfer_projections.TRANSFERS, org_replica.KNOWN_ORGS)


class MembersService(transfer_service.TransferEntrypoints):
    """Transfers' entrypoints (transfers/service.py) are a mixin."""
    name = "members"
    kernel = EventSourcing("members", read_models=READ_MODELS, projectors=[personal.project],
                           metadatas=[tables.metadata, transfer_tables.metadata])
    ctx = CallContext()
    vault = PersonalDataVault()

    def _read(self):
        return self.kernel.db.connect()

    def _member_out(self, conn, member_id):
        """The member as this caller may see it (the verified principal decides)."""
        return _out(contract.MemberOut, queries.get_member(conn, member_id, self.ctx.principal(), vault=self.vault))

    @domain_rpc
    def ping(self):
        return "pong"

    @timer(interval=3600, eager=True)
    def index_phones(self):
        """Phones entered before the phone index existed get their keyed hash,
        a batch per transaction, at start-up (then hourly: nothing to do)."""
        while True:
            with self.kernel.db.begin() as conn:
                if not personal.index_phones(conn, self.vault):
                    return

    # ---- records -------------------------------------------------------------
    @domain_rpc
    def register_member(self, data):
        fields = _valid(contract.RegisterMemberIn, data)
        answer = {}

        def register(uow):
            # Answered from the registration's own transaction: no second
            # connection and transaction to read back what was just written.
            member_id = commands.register_member(uow, today=_today(), vault=self.vault, **fields)
            answer.update(self._member_out(uow.conn, member_id))
            return member_id
        member_id = self.kernel.once("members.register_member", data, register)
        if answer.get("id") != member_id:  # a retry under the same key: the first run's member, as it is now
            with self._read() as conn:
                return self._member_out(conn, member_id)
        return answer

    @domain_rpc
    def member_place(self, member_id):
        """{"org_id", "version"}: the member's branch and the member's
        version, for the gateway's policy (no personal data, one query)."""
        with self._read() as conn:
            return queries.member_place(conn, _id(member_id))

    @domain_rpc
    def get_member(self, member_id, reveal_personal=False):
        """``reveal_personal`` is accepted for older callers and ignored."""
        _valid(contract.GetMemberIn, {"reveal_personal": reveal_personal})
        with self._read() as conn:
            return self._member_out(conn, _id(member_id))

    @domain_rpc
    def update_member(self, member_id, data):
        fields = _valid(contract.UpdateMemberIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.update_member(uow, _id(member_id), today=_today(), vault=self.vault, **fields)
            return self._member_out(uow.conn, member_id)

    @domain_rpc
    def list_members(self, org_id, stage=None, status=None, limit=50, offset=0, as_json=False, scope="subtree"):
        """A ``MemberPageOut`` of lean rows, answered as the query makes it
        (JSON-ready, no schema dump); no row holds personal data, so the
        caller's token is not verified and nothing is decrypted. ``as_json``:
        the page as its JSON text instead, for the gateway to send on as it
        is (one string to carry, not 200 rows to encode, decode and encode)."""
        params = _valid(contract.MemberListIn, {"stage": stage, "status": status, "limit": limit, "offset": offset,
                                                "scope": scope})
        with self._read() as conn:
            page = queries.list_members(conn, _id(org_id, "org_id"), **params)
        return queries.page_json(page) if as_json is True else page

    @domain_rpc
    def change_status(self, member_id, data):
        fields = _valid(contract.ChangeStatusIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.change_status(uow, _id(member_id), today=_today(), **fields)
            return self._member_out(uow.conn, member_id)

    # ---- personal data -----------------------------------------------------------
    @domain_rpc
    def erase_personal_data(self, member_id, data):
        fields = _valid(contract.ErasePersonalDataIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.erase_personal_data(uow, _id(member_id), today=_today(), **fields)
            return self._member_out(uow.conn, member_id)

    # ---- history and the member's own summary -------------------------------------
    @domain_rpc
    def member_history(self, member_id, limit=50, offset=0):
        params = _valid(PageIn, {"limit": limit, "offset": offset})
        with self._read() as conn:
            return _out(EventPageOut, queries.member_history(conn, self.kernel.store, _id(member_id), **params,
                                                             principal=self.ctx.principal()))

    @domain_rpc
    def me(self, member_id):
        with self._read() as conn:
            return _out(contract.MeOut, queries.me(conn, self.kernel.store, _id(member_id), _today(),
                                                   self.ctx.principal(), vault=self.vault))

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
    def search_members(self, q, org_id=None, limit=50, offset=0):
        """Within the verified caller's scope (queries.search_members); no term is logged."""
        params = _valid(contract.SearchIn, {"q": q, "org_id": org_id, "limit": limit, "offset": offset})
        with self._read() as conn:
            return queries.search_members(conn, self.ctx.principal(), vault=self.vault, **params)

    # ---- rosters in ----------------------------------------------------------
    @domain_rpc
    def import_members(self, org_id, rows, mode="all"):
        """Start an import (imports.py): the job at once; it checks and writes
        in the background (poll ``get_import_job``)."""
        params = _valid(contract.ImportIn, {"org_id": org_id, "rows": rows, "mode": mode})
        with self.kernel.db.begin() as conn:
            org_kind(conn, params["org_id"])
            job_id = imports.new_job(conn, params["org_id"], params["mode"], len(params["rows"]),
                                     self.kernel.context.actor)
        eventlet.spawn_n(imports.run_import, self.kernel.db, self.kernel.unit_of_work, self.vault, job_id,
                         params["org_id"], params["rows"], params["mode"], _today())
        return self.get_import_job(job_id)

    @domain_rpc
    def member_names(self, member_ids):
        """{id: name} of the members asked (names are no personal data: every list shows them)."""
        ids = _valid(contract.MemberIdsIn, {"member_ids": member_ids})["member_ids"]
        with self._read() as conn:
            return queries.member_names(conn, ids)

    @domain_rpc
    def export_roster(self, org_id):
        """The organisation's members as full records (its subtree), masked
        per the verified caller, for the gateway's spreadsheet."""
        with self._read() as conn:
            rows = queries.roster(conn, _id(org_id, "org_id"), self.ctx.principal(), vault=self.vault)
        return _out(contract.MemberOut, rows, many=True)

    @domain_rpc
    def get_import_job(self, job_id):
        with self._read() as conn:
            job = imports.get_job(conn, _id(job_id, "job_id"))
        if job is None:
            raise NotFound(f"import {job_id} does not exist", {"job_id": job_id})
        return _out(contract.ImportJobOut, imports.job_answer(job, codec.utcnow()))

    @domain_rpc
    def list_legacy_exceptions(self, org_id, limit=50, offset=0):
        """Every member of the org's subtree registered with a legacy exception."""
        params = _valid(PageIn, {"limit": limit, "offset": offset})
        with self._read() as conn:
            return _out(contract.LegacyExceptionPageOut,
                        queries.list_legacy_exceptions(conn, _id(org_id, "org_id"), **params))

    @domain_rpc
    def pipeline_due(self, org_id, as_of=None, scope="subtree"):
        params = _valid(contract.PipelineDueIn, {"as_of": as_of, "scope": scope})
        with self._read() as conn:
            return _out(contract.PipelineDueOut, queries.pipeline_due(conn, _id(org_id, "org_id"),
                                                                      params["as_of"] or _today(), params["scope"]))

    # ---- organisations, from orgs' events ------------------------------------
    # One entrypoint per event type (each binds its own routing key, so no
    # other orgs event is delivered here), all feeding one declared read model.
    @event_consumer("orgs", "orgs.org_created")
    def on_org_created(self, envelope):
        return self.kernel.feed(org_replica.KNOWN_ORGS, envelope)

    @event_consumer("orgs", "orgs.branch_founded")
    def on_branch_founded(self, envelope):
        return self.kernel.feed(org_replica.KNOWN_ORGS, envelope)

    @event_consumer("orgs", "orgs.org_renamed")
    def on_org_renamed(self, envelope):
        return self.kernel.feed(org_replica.KNOWN_ORGS, envelope)

    @event_consumer("orgs", "orgs.org_dissolved")
    def on_org_dissolved(self, envelope):
        return self.kernel.feed(org_replica.KNOWN_ORGS, envelope)
