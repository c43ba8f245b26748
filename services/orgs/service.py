"""The orgs service's nameko entrypoints: validate input with the published
contract, run one command in one unit of work, answer from the read models."""
from shared.contracts import orgs as contract
from shared.nameko_adapter import CallContext, EventSourcing, domain_rpc, event_consumer
from shared.rpc_io import identifier as _id, out as _out, today as _today, valid as _valid

from . import commands, projections, queries, member_replica, tables


READ_MODELS = (projections.ORG_TREE, member_replica.ROSTER)


class OrgsService:
    name = "orgs"
    kernel = EventSourcing("orgs", read_models=READ_MODELS, metadatas=[tables.metadata])
    ctx = CallContext()

    @domain_rpc
    def ping(self):
        return "pong"

    @event_consumer("members", "members.#")
    def on_member_event(self, envelope):
        """Keep the member roster that member-counting rules read."""
        self.kernel.feed(member_replica.ROSTER, envelope)

    def _read(self):
        return self.kernel.db.connect()

    # ---- the tree ----------------------------------------------------------
    @domain_rpc
    def create_org(self, data):
        fields = _valid(contract.CreateOrgIn, data)
        org_id = self.kernel.once("orgs.create_org", data,
                                  lambda uow: commands.create_org(uow, today=_today(), **fields))
        return self.get_org(org_id)

    @domain_rpc
    def get_org(self, org_id):
        with self._read() as conn:
            return _out(contract.OrgOut, queries.get_org(conn, _id(org_id), _today()))

    @domain_rpc
    def list_orgs(self, kind=None, status=None, limit=50, offset=0):
        params = _valid(contract.OrgListIn, {"kind": kind, "status": status, "limit": limit, "offset": offset})
        with self._read() as conn:
            return _out(contract.OrgPageOut, queries.list_orgs(conn, today=_today(), **params))

    @domain_rpc
    def get_tree(self, org_id, include_dissolved=False):
        params = _valid(contract.TreeIn, {"include_dissolved": include_dissolved})
        with self._read() as conn:
            return _out(contract.OrgTreeOut, queries.get_tree(conn, _id(org_id), _today(), **params))

    @domain_rpc
    def list_children(self, org_id, limit=50, offset=0, include_dissolved=False):
        params = _valid(contract.ChildrenIn, {"limit": limit, "offset": offset,
                                              "include_dissolved": include_dissolved})
        with self._read() as conn:
            return _out(contract.OrgPageOut,
                        queries.list_children(conn, _id(org_id), today=_today(), **params))

    @domain_rpc
    def rename_org(self, org_id, data):
        fields = _valid(contract.RenameOrgIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.rename_org(uow, _id(org_id), today=_today(), **fields)
            return _out(contract.OrgOut, queries.get_org(uow.conn, org_id, _today()))

    @domain_rpc
    def dissolve_org(self, org_id, data):
        fields = _valid(contract.DissolveOrgIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.dissolve_org(uow, _id(org_id), today=_today(), **fields)
            return _out(contract.OrgOut, queries.get_org(uow.conn, org_id, _today()))

    @domain_rpc
    def lineage(self, org_id):
        """[org_id, parent id, ..., root id]: an organisation never changes parent."""
        with self._read() as conn:
            return queries.lineage(conn, _id(org_id, "org_id"))

    @domain_rpc
    def org_history(self, org_id, limit=50, offset=0):
        params = _valid(contract.PageIn, {"limit": limit, "offset": offset})
        with self._read() as conn:
            return _out(contract.EventPageOut,
                        queries.org_history(conn, self.kernel.store, _id(org_id), **params))

    # ---- founding a branch -------------------------------------------------
    def _founding_command(self, command, request_id, schema_cls, data, **extra):
        fields = _valid(schema_cls, data)
        with self.kernel.unit_of_work() as uow:
            command(uow, _id(request_id), **extra, **fields)
            return _out(contract.FoundingRequestOut,
                        queries.get_founding_request(uow.conn, request_id, _today()))

    @domain_rpc
    def request_founding(self, parent_id, data):
        fields = _valid(contract.FoundingRequestIn, data)
        parent_id = _id(parent_id, "parent_id")
        request_id = self.kernel.once("orgs.request_founding", {"parent_id": parent_id, **data},
                                      lambda uow: commands.request_founding(uow, parent_id, today=_today(), **fields))
        return self.get_founding_request(request_id)

    @domain_rpc
    def get_founding_request(self, request_id):
        with self._read() as conn:
            return _out(contract.FoundingRequestOut,
                        queries.get_founding_request(conn, _id(request_id), _today()))

    @domain_rpc
    def list_founding_requests(self, org_id, state=None, limit=50, offset=0, scope="subtree"):
        params = _valid(contract.FoundingRequestListIn, {"state": state, "limit": limit, "offset": offset,
                                                         "scope": scope})
        with self._read() as conn:
            return _out(contract.FoundingRequestPageOut,
                        queries.list_founding_requests(conn, _id(org_id), today=_today(), **params))

    @domain_rpc
    def approve_founding(self, request_id, data=None):
        return self._founding_command(commands.approve_founding, request_id, contract.ApproveFoundingIn, data,
                                      today=_today())

    @domain_rpc
    def reject_founding(self, request_id, data):
        return self._founding_command(commands.reject_founding, request_id, contract.RejectFoundingIn, data,
                                      today=_today())

    @domain_rpc
    def elect_founding_committee(self, request_id, data):
        return self._founding_command(commands.elect_founding_committee, request_id,
                                      contract.ElectFoundingCommitteeIn, data, today=_today())

    @domain_rpc
    def confirm_founding(self, request_id, data=None):
        return self._founding_command(commands.confirm_founding, request_id, contract.ConfirmFoundingIn, data,
                                      today=_today())

    # ---- committees --------------------------------------------------------
    @domain_rpc
    def elect_committee(self, org_id, data):
        fields = _valid(contract.ElectCommitteeIn, data)
        with self.kernel.unit_of_work() as uow:
            commands.elect_committee(uow, _id(org_id), today=_today(), **fields)
            return _out(contract.CommitteeOut, queries.get_committee(uow.conn, org_id, _today()))

    @domain_rpc
    def get_committee(self, org_id):
        with self._read() as conn:
            return _out(contract.CommitteeOut, queries.get_committee(conn, _id(org_id), _today()))

    @domain_rpc
    def due_elections(self, org_id, within_days=90):
        params = _valid(contract.DueElectionsIn, {"within_days": within_days})
        with self._read() as conn:
            return _out(contract.CommitteeOut,
                        queries.due_elections(conn, _id(org_id), today=_today(), **params), many=True)

    # ---- alliances ---------------------------------------------------------
    @domain_rpc
    def create_alliance(self, data):
        fields = _valid(contract.CreateAllianceIn, data)
        alliance_id = self.kernel.once("orgs.create_alliance", data,
                                       lambda uow: commands.create_alliance(uow, today=_today(), **fields))
        return self.get_alliance(alliance_id)

    @domain_rpc
    def get_alliance(self, alliance_id):
        with self._read() as conn:
            return _out(contract.AllianceOut, queries.get_alliance(conn, _id(alliance_id)))

    def _alliance_command(self, command, alliance_id, schema_cls, data):
        fields = _valid(schema_cls, data)
        with self.kernel.unit_of_work() as uow:
            command(uow, _id(alliance_id), today=_today(), **fields)
            return _out(contract.AllianceOut, queries.get_alliance(uow.conn, alliance_id))

    @domain_rpc
    def add_alliance_member(self, alliance_id, data):
        return self._alliance_command(commands.add_alliance_member, alliance_id,
                                      contract.AddAllianceMemberIn, data)

    @domain_rpc
    def remove_alliance_member(self, alliance_id, data):
        return self._alliance_command(commands.remove_alliance_member, alliance_id,
                                      contract.RemoveAllianceMemberIn, data)

    @domain_rpc
    def list_alliances(self, limit=50, offset=0):
        params = _valid(contract.PageIn, {"limit": limit, "offset": offset})
        with self._read() as conn:
            return _out(contract.AlliancePageOut, queries.list_alliances(conn, **params))
