"""The organisation routes of the API (orgs service): the tree, founding a
branch, committees, alliances. A mixin of ``GatewayService``; each handler
only calls the orgs service (``api`` in http.py does the rest)."""
from nameko.rpc import RpcProxy

from shared.contracts import orgs as c

from .http import V1, api

ORG = V1 + "/orgs/<org_id>"
FOUNDING = V1 + "/founding-requests/<request_id>"
ALLIANCE = V1 + "/alliances/<alliance_id>"


class OrgsApi:
    orgs = RpcProxy("orgs")

    # -- organisations ---------------------------------------------------
    @api("POST", V1 + "/orgs", tag="orgs", summary="Create an organisation (e.g. a committee)",
         body=c.CreateOrgIn, response=c.OrgOut, status=201)
    def create_org(self, data):
        return self.orgs.create_org(data)

    @api("GET", V1 + "/orgs", tag="orgs", summary="List organisations, root committees first",
         query=c.OrgListIn, response=c.OrgPageOut)
    def list_orgs(self, limit, offset, kind=None, status=None):
        return self.orgs.list_orgs(kind=kind, status=status, limit=limit, offset=offset)

    @api("GET", ORG, tag="orgs", summary="Get an organisation", response=c.OrgOut)
    def get_org(self, org_id):
        return self.orgs.get_org(org_id)

    @api("GET", ORG + "/tree", tag="orgs", summary="The organisation and everything under it",
         query=c.TreeIn, response=c.OrgTreeOut)
    def get_tree(self, org_id, include_dissolved):
        return self.orgs.get_tree(org_id, include_dissolved=include_dissolved)

    @api("GET", ORG + "/children", tag="orgs", summary="Direct children, a page at a time",
         query=c.ChildrenIn, response=c.OrgPageOut)
    def list_children(self, org_id, limit, offset, include_dissolved):
        return self.orgs.list_children(org_id, limit=limit, offset=offset,
                                       include_dissolved=include_dissolved)

    @api("PATCH,POST", ORG + "/rename", tag="orgs", summary="Rename an organisation",
         body=c.RenameOrgIn, response=c.OrgOut)
    def rename_org(self, org_id, data):
        return self.orgs.rename_org(org_id, data)

    @api("POST", ORG + "/dissolve", tag="orgs", summary="Dissolve an organisation (members moved first)",
         body=c.DissolveOrgIn, response=c.OrgOut)
    def dissolve_org(self, org_id, data):
        return self.orgs.dissolve_org(org_id, data)

    @api("GET", ORG + "/history", tag="orgs", summary="The organisation's events, oldest first",
         query=c.PageIn, response=c.EventPageOut)
    def org_history(self, org_id, limit, offset):
        return self.orgs.org_history(org_id, limit=limit, offset=offset)

    # -- founding a branch -----------------------------------------------
    @api("POST", ORG + "/founding-requests", tag="founding", status=201,
         summary="Request founding a branch under this organisation",
         body=c.FoundingRequestIn, response=c.FoundingRequestOut)
    def request_founding(self, org_id, data):
        return self.orgs.request_founding(org_id, data)

    @api("GET", ORG + "/founding-requests", tag="founding",
         summary="Founding requests under this organisation (its whole subtree by default)",
         query=c.FoundingRequestListIn,
         response=c.FoundingRequestPageOut)
    def list_founding_requests(self, org_id, limit, offset, scope, state=None):
        return self.orgs.list_founding_requests(org_id, state=state, limit=limit, offset=offset, scope=scope)

    @api("GET", FOUNDING, tag="founding", summary="Get a founding request",
         response=c.FoundingRequestOut)
    def get_founding_request(self, request_id):
        return self.orgs.get_founding_request(request_id)

    @api("POST", FOUNDING + "/approve", tag="founding", summary="Parent approves the request",
         body=c.ApproveFoundingIn, response=c.FoundingRequestOut)
    def approve_founding(self, request_id, data):
        return self.orgs.approve_founding(request_id, data)

    @api("POST", FOUNDING + "/reject", tag="founding", summary="Parent rejects the request (reason required)",
         body=c.RejectFoundingIn, response=c.FoundingRequestOut)
    def reject_founding(self, request_id, data):
        return self.orgs.reject_founding(request_id, data)

    @api("POST", FOUNDING + "/elect-committee", tag="founding",
         summary="Founding meeting elects the committee",
         body=c.ElectFoundingCommitteeIn, response=c.FoundingRequestOut)
    def elect_founding_committee(self, request_id, data):
        return self.orgs.elect_founding_committee(request_id, data)

    @api("POST", FOUNDING + "/confirm", tag="founding",
         summary="Parent confirms secretary and deputy; the branch becomes active",
         body=c.ConfirmFoundingIn, response=c.FoundingRequestOut)
    def confirm_founding(self, request_id, data):
        return self.orgs.confirm_founding(request_id, data)

    # -- committees ------------------------------------------------------
    @api("PUT", ORG + "/committee", tag="committees", summary="Record an elected committee",
         body=c.ElectCommitteeIn, response=c.CommitteeOut)
    def elect_committee(self, org_id, data):
        return self.orgs.elect_committee(org_id, data)

    @api("GET", ORG + "/committee", tag="committees", summary="The current committee",
         response=c.CommitteeOut)
    def get_committee(self, org_id):
        return self.orgs.get_committee(org_id)

    @api("GET", ORG + "/due-elections", tag="committees",
         summary="Committees under this organisation whose term ends soon",
         query=c.DueElectionsIn, response=c.CommitteeOut, many=True)
    def due_elections(self, org_id, within_days):
        return self.orgs.due_elections(org_id, within_days=within_days)

    # -- alliances -------------------------------------------------------
    @api("POST", V1 + "/alliances", tag="alliances", summary="Create an alliance", status=201,
         body=c.CreateAllianceIn, response=c.AllianceOut)
    def create_alliance(self, data):
        return self.orgs.create_alliance(data)

    @api("GET", V1 + "/alliances", tag="alliances", summary="Alliances, a page at a time",
         query=c.PageIn, response=c.AlliancePageOut)
    def list_alliances(self, limit, offset):
        return self.orgs.list_alliances(limit=limit, offset=offset)

    @api("GET", ALLIANCE, tag="alliances", summary="Get an alliance", response=c.AllianceOut)
    def get_alliance(self, alliance_id):
        return self.orgs.get_alliance(alliance_id)

    @api("POST", ALLIANCE + "/members", tag="alliances", summary="Add an organisation to an alliance",
         body=c.AddAllianceMemberIn, response=c.AllianceOut)
    def add_alliance_member(self, alliance_id, data):
        return self.orgs.add_alliance_member(alliance_id, data)

    @api("DELETE", ALLIANCE + "/members/<org_id>", tag="alliances",
         summary="Remove an organisation from an alliance", response=c.AllianceOut)
    def remove_alliance_member(self, alliance_id, org_id):
        return self.orgs.remove_alliance_member(alliance_id, {"org_id": org_id})
