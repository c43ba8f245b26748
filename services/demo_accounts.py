"""The demo accounts a first embedded start creates and prints: a district
administrator, the secretary of a demo branch with members (org_admin of
it), and a full member of that branch. All share one password, for trying
the platform out only: distributed mode creates no accounts (operators use
``ejia accounts create``)."""

PASSWORD = "ejia-demo"
DISTRICT_ADMIN = "district-admin"
SECRETARY = "secretary-demo"
MEMBER = "member-demo"


def load_accounts(identity, district: dict) -> list[dict]:
    """Create the three accounts through the identity service; ``district``
    is what ``demo.load_demo`` answered (it names the demo branch and its
    full members). Return what ``print_accounts`` shows."""
    branch = district["demo_branch"]
    member_id = district["demo_members"]["full_by_org"][branch["id"]][0]
    accounts = [
        {"username": DISTRICT_ADMIN, "display_name": "区党工委管理员", "kind": "staff",
         "roles": [{"role": "district_admin", "org_id": None}]},
        {"username": SECRETARY, "display_name": f"{branch['name']}书记", "kind": "staff",
         "roles": [{"role": "org_admin", "org_id": branch["id"]}]},
        {"username": MEMBER, "display_name": "示范党员", "kind": "member", "member_id": member_id, "roles": []},
    ]
    for account in accounts:
        identity.create_account({**account, "password": PASSWORD})
    return [{"username": a["username"], "what": what} for a, what in zip(accounts, (
        "district_admin: everything",
        f"org_admin of {branch['name']} ({branch['id']})",
        f"a full member of {branch['name']} ({member_id})"))]


def describe(accounts: list[dict]) -> str:
    lines = [f"Demo accounts (password '{PASSWORD}'):"]
    lines += [f"  {a['username']:<16} {a['what']}" for a in accounts]
    return "\n".join(lines)
