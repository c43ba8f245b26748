"""The transfer entrypoints of the members service (a mixin of
``MembersService``, which provides ``kernel``): RPC for each step and the
lists, the saga's event consumers, and the sweep's timer. Thin: validate with
the published contract (shared.contracts.transfers), run one command in one
unit of work, answer from the read model.

The dues service is asked, by RPC with a short timeout, what the letter
records (the month paid up to, arrears); if it does not answer (not
deployed, down, no account for the member) the letter says so and is issued
anyway. The dues account itself follows ``members.transfer_completed``."""
import logging

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from nameko.timer import timer
from sqlalchemy import select

from shared import codec
from shared.contracts import transfers as contract
from shared.errors import DomainError, InvalidInput, NotFound
from shared.nameko_adapter import domain_rpc, event_consumer
from shared.rpc_io import identifier as _id, out as _out, today as _today, valid as _valid

from . import commands as commands
from . import queries as queries
from . import saga as saga
from .projections import transfers

log = logging.getLogger(__name__)

DUES_TIMEOUT = 2.0
"""Seconds the letter waits for the dues service's clearance."""
SWEEP_SECONDS = 60
"""How often the sweep runs (and once at start, to catch up after a restart)."""


class TransferEntrypoints:
    dues = RpcProxy("dues")

    def _transfer_out(self, conn, transfer_id):
        return _out(contract.TransferOut, queries.get_transfer(conn, self.kernel.store, transfer_id, _today()))

    def _saga_unit_of_work(self, envelope=None):
        context = self.kernel.context.caused_by(envelope) if envelope is not None else None
        return self.kernel.unit_of_work(context)

    # ---- the people's steps ------------------------------------------------------------------
    @domain_rpc
    def request_transfer(self, data):
        fields = _valid(contract.RequestTransferIn, data)
        transfer_id = self.kernel.once("members.request_transfer", data,
                                       lambda uow: commands.request_transfer(uow, today=_today(), **fields))
        return self.get_transfer(transfer_id)

    @domain_rpc
    def get_transfer(self, transfer_id):
        with self.kernel.db.connect() as conn:
            return self._transfer_out(conn, _id(transfer_id))

    @domain_rpc
    def transfer_letter(self, transfer_id):
        """What the printed letter shows (the gateway renders it)."""
        with self.kernel.db.connect() as conn:
            return _out(contract.LetterDocumentOut, queries.letter_document(conn, _id(transfer_id), _today()))

    @domain_rpc
    def transfer_step(self, transfer_id, action, data=None):
        if not isinstance(action, str) or action not in contract.TRANSFER_ACTIONS:
            shown = str(action)[:60]
            raise NotFound(f"transfer action {shown!r} does not exist; actions are "
                           + ", ".join(contract.TRANSFER_ACTIONS), {"action": shown})
        fields = _valid(contract.TRANSFER_ACTIONS[action][0], data)
        transfer_id = _id(transfer_id)
        if action in commands.LETTER_ACTIONS:
            fields["clearance"] = self._dues_clearance(transfer_id)
        with self.kernel.unit_of_work() as uow:
            commands.transfer_step(uow, transfer_id, action, today=_today(), **fields)
            return self._transfer_out(uow.conn, transfer_id)

    def _dues_clearance(self, transfer_id) -> dict | None:
        """The dues service's clearance of the transfer's member, or None."""
        with self.kernel.db.connect() as conn:
            member_id = conn.execute(select(transfers.c.member_id).where(transfers.c.id == transfer_id)).scalar()
        if member_id is None:
            return None  # the step reports the unknown transfer
        clearance = None
        try:
            with eventlet.Timeout(DUES_TIMEOUT, False):
                clearance = self.dues.transfer_clearance(member_id)
        except (UnknownService, DomainError) as exc:
            log.info("transfer %s: no dues clearance (%s); the letter records dues as unknown",
                     transfer_id, type(exc).__name__)
        except Exception as exc:  # the dues service failing never blocks a letter
            log.warning("transfer %s: dues clearance failed (%s: %s)", transfer_id, type(exc).__name__,
                        str(exc)[:200])
        return clearance

    # ---- lists ------------------------------------------------------------------------------
    @domain_rpc
    def list_org_transfers(self, org_id, state=None, side=None, limit=50, offset=0, scope="subtree"):
        params = _valid(contract.TransferListIn, {"state": state, "side": side, "limit": limit, "offset": offset,
                                                  "scope": scope})
        with self.kernel.db.connect() as conn:
            return _out(contract.TransferPageOut,
                        queries.list_org_transfers(conn, _id(org_id, "org_id"), today=_today(), **params))

    @domain_rpc
    def list_member_transfers(self, member_id, limit=50, offset=0):
        params = _valid(contract.PageIn, {"limit": limit, "offset": offset})
        with self.kernel.db.connect() as conn:
            return _out(contract.TransferPageOut,
                        queries.list_member_transfers(conn, _id(member_id, "member_id"), today=_today(), **params))

    # ---- the saga -----------------------------------------------------------------------------
    @domain_rpc
    def sweep_transfers(self, as_of=None):
        """Expire letters, flag missed report-ins, finish what is left, as of
        ``as_of`` (today if absent). Idempotent."""
        params = _valid(contract.SweepIn, {"as_of": as_of})
        today = _today()
        if params["as_of"] is not None and params["as_of"] > today:
            raise InvalidInput("a sweep cannot run as of a future day (it would expire letters still valid)",
                               {"as_of": params["as_of"].isoformat()})
        result = saga.run_sweep(self._saga_unit_of_work, self.kernel.db.connect, params["as_of"] or today)
        return _out(contract.SweepOut, result)

    @timer(interval=SWEEP_SECONDS, eager=True)
    def transfer_sweep(self):
        try:
            result = saga.run_sweep(self._saga_unit_of_work, self.kernel.db.connect, _today())
            if any(result[key] for key in ("letters_expired", "reports_overdue", "completed", "cancelled")):
                log.info("transfer sweep: %s", codec.to_jsonable(result))
        except Exception:
            log.exception("transfer sweep failed; next pass in %ss", SWEEP_SECONDS)

    @event_consumer("members", "transfers.reported_in")
    def on_transfer_reported_in(self, envelope):
        return saga.on_reported_in(self._saga_unit_of_work, envelope, _today())

    @event_consumer("orgs", "orgs.branch_founded")
    def on_branch_founded_move_founders(self, envelope):
        return saga.on_branch_founded(self._saga_unit_of_work, envelope)

    @event_consumer("orgs", "orgs.org_dissolved")
    def on_org_dissolved_cancel_transfers(self, envelope):
        return saga.on_org_dissolved(self._saga_unit_of_work, envelope, _today())
