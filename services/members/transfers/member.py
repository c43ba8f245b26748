"""The member's side of a transfer, on the member's own stream: at most one
open transfer (``members.transfer_opened``, refused with a Conflict while
another is open: the stream version check makes two concurrent requests
race, and one of them lose with a 409), and the branch, which changes only
by ``members.transfer_completed``. Until then the member belongs to the
sending branch: there is no moment with no branch or with two.

``TransferringMember`` is the ``Member`` aggregate with these commands; it
folds the same stream (the base class ignores the transfer events but reads
the state every ``members.*`` event carries, the new branch included). Pure."""
import datetime as dt

from shared.aggregate import when
from shared.catalog.transfers import MemberTransferClosed, MemberTransferCompleted, MemberTransferOpened
from shared.vocabulary import FINAL_STATUSES
from shared.errors import Conflict

from ..domain import Member


class TransferringMember(Member):
    def __init__(self, aggregate_id):
        super().__init__(aggregate_id)
        self.open_transfer_id = None

    @property
    def gone(self) -> bool:
        """Left, expelled or deceased: nobody to move any more."""
        return self.status in FINAL_STATUSES

    def open_transfer(self, transfer_id: str, *, to_org_id: str, opened_on: dt.date):
        if self.open_transfer_id is not None:
            raise Conflict(f"member {self.id} already has an open transfer ({self.open_transfer_id}); "
                           "it must be completed, withdrawn or rejected first",
                           {"member_id": self.id, "open_transfer_id": self.open_transfer_id})
        self._emit(MemberTransferOpened, transfer_id=transfer_id, to_org_id=to_org_id, opened_on=opened_on)

    @when(MemberTransferOpened)
    def when_transfer_opened(self, payload):
        self.open_transfer_id = payload["transfer_id"]

    def close_transfer(self, transfer_id: str, *, outcome: str, closed_on: dt.date) -> bool:
        """The transfer ended without moving the member. False (nothing
        recorded) if it is not the member's open transfer (already closed)."""
        if self.open_transfer_id != transfer_id:
            return False
        self._emit(MemberTransferClosed, transfer_id=transfer_id, outcome=outcome, closed_on=closed_on)
        return True

    @when(MemberTransferClosed)
    def when_transfer_closed(self, payload):
        self.open_transfer_id = None

    def complete_transfer(self, transfer_id: str, *, to_org_id: str, group_id: str | None, completed_on: dt.date):
        """The one event that changes the member's branch."""
        if self.open_transfer_id != transfer_id:
            raise Conflict(f"transfer {transfer_id} is not member {self.id}'s open transfer",
                           {"transfer_id": transfer_id, "open_transfer_id": self.open_transfer_id})
        self._emit(MemberTransferCompleted, org_id=to_org_id, group_id=group_id, transfer_id=transfer_id,
                   from_org_id=self.org_id, from_group_id=self.group_id, completed_on=completed_on)

    @when(MemberTransferCompleted)
    def when_transfer_completed(self, payload):
        self.open_transfer_id = None
