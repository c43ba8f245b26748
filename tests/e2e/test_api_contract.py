"""The HTTP API keeps the promises of its own /openapi.json: schemathesis
(property-based, from PyPI) sends every operation generated requests,
valid and invalid, against a running distributed platform (its own
`nameko run` processes on a throwaway vhost and fresh PostgreSQL
databases), once signed in and once without a token. It must find no
5xx, no status code the document does not list for the operation, and no
response that breaks the operation's schema.

The platform is seeded first (two committees with a branch each, a full
member, a transfer, a founding request, an alliance, an account), and the
generated path, query and body identifiers are drawn mostly from those
records (``[dictionaries]`` in the generated schemathesis.toml), so that
operations reach their handlers instead of stopping at a 404.

A client generated from the same document by openapi-python-client (from
PyPI) signs in, lists organisations and a branch's members, reads a
member's dues and pays them: what a team integrating with eJia would do.

The seed is fixed so a run in CI is the run seen here; set
EJIA_SCHEMATHESIS_SEED to explore others, EJIA_SCHEMATHESIS_EXAMPLES for
more cases per operation."""
import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from platform_factory import GatewaySession

from .conftest import access_token, drop_vhost, make_vhost, start_cluster
from .test_distributed_founding import founding_request
from .test_transfers import committee_with_branch, ok, register_full_member, request_transfer, wait_until

SEED = os.environ.get("EJIA_SCHEMATHESIS_SEED", "20261203")
EXAMPLES = int(os.environ.get("EJIA_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
PASSWORD = "contract-test-pw-" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def contract_platform(tmp_path_factory):
    vhost = make_vhost()
    cluster = start_cluster(vhost, tmp_path_factory.mktemp("contract-logs"))
    try:
        yield cluster
    finally:
        cluster.stop()
        drop_vhost(vhost)


@pytest.fixture(scope="module")
def seeded(contract_platform):
    """Records for the generated requests to name, and a signed-in account's token."""
    api = GatewaySession(contract_platform.base_url, {"Authorization": f"Bearer {access_token('contract-seeder')}"})
    committee, branch = committee_with_branch(api, "纳米城", group=True)
    other_committee, other_branch = committee_with_branch(api, "生物港")
    member = register_full_member(api, branch["id"])
    wait_until(lambda: api.get(f"/api/v1/orgs/{other_branch['id']}/members").status_code == 200,
               "members to know the receiving branch")
    transfer = ok(request_transfer(api, member["id"], other_branch["id"]), 201)
    founding = ok(api.post(f"/api/v1/orgs/{committee['id']}/founding-requests", json=founding_request()), 201)
    alliance = ok(api.post("/api/v1/alliances", json={"name": "高校党建联盟",
                                                      "member_org_ids": [branch["id"], other_branch["id"]]}), 201)
    for username, roles in (("contract-admin", [{"role": "district_admin", "org_id": None}]),
                            ("contract-target", [{"role": "org_admin", "org_id": branch["id"]}])):
        ok(api.post("/api/v1/accounts", json={"username": username, "display_name": "接口测试", "kind": "staff",
                                              "password": PASSWORD, "roles": roles}), 201)
    signed_in = ok(requests.post(contract_platform.base_url + "/api/v1/auth/token", timeout=30,
                                 json={"username": "contract-admin", "password": PASSWORD}))
    orgs = [committee["id"], branch["id"], branch["group_id"], other_committee["id"], other_branch["id"]]
    return {"token": signed_in["access_token"], "orgs": orgs, "members": [member["id"]],
            "transfers": [transfer["id"]], "founding": [founding["id"]], "alliances": [alliance["id"]],
            "accounts": ["contract-target"]}


def generated_client(base_url: str, folder: Path):
    """The package openapi-python-client generates from the running gateway's /openapi.json, imported."""
    (folder / "openapi.json").write_bytes(ok_bytes(requests.get(base_url + "/openapi.json", timeout=30)))
    (folder / "generator.yaml").write_text("package_name_override: ejia_client\n")
    venv_bin = str(Path(sys.executable).parent)
    done = subprocess.run([str(Path(venv_bin) / "openapi-python-client"), "generate", "--path", "openapi.json",
                           "--config", "generator.yaml", "--meta", "none", "--output-path", "ejia_client"],
                          cwd=folder, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")})
    assert done.returncode == 0 and (folder / "ejia_client" / "client.py").exists(), done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("ejia_client")
    finally:
        sys.path.remove(str(folder))


def ok_bytes(response) -> bytes:
    assert response.status_code == 200, response.text
    return response.content


def test_a_client_generated_from_the_document_signs_in_lists_and_pays_dues(seeded, contract_platform, tmp_path):
    package = generated_client(contract_platform.base_url, tmp_path)
    from ejia_client import AuthenticatedClient, Client
    from ejia_client.api.auth import sign_in
    from ejia_client.api.dues import get_dues, pay, set_dues_base
    from ejia_client.api.members import list_members
    from ejia_client.api.orgs import list_orgs
    from ejia_client.models import AccountOut, PaymentIn, ReceiptOut, SetDuesBaseIn, SetDuesBaseInCategory, TokenIn
    assert package.__name__ == "ejia_client"

    base = contract_platform.base_url
    token = sign_in.sync(client=Client(base_url=base), body=TokenIn(username="contract-admin", password=PASSWORD))
    client = AuthenticatedClient(base_url=base, token=token.access_token, timeout=30)
    branch_id, member_id = seeded["orgs"][1], seeded["members"][0]

    orgs = list_orgs.sync(client=client, limit=200)
    assert branch_id in {org.id for org in orgs.items} and orgs.total >= len(seeded["orgs"])
    members = list_members.sync(branch_id, client=client)
    assert member_id in {member.id for member in members.items}

    account = wait_until(lambda: (lambda a: isinstance(a, AccountOut) and a)(get_dues.sync(member_id, client=client)),
                         "dues to open the member's account")
    this_month = dt.date.today().strftime("%Y-%m")
    account = set_dues_base.sync(member_id, client=client, body=SetDuesBaseIn(
        category=SetDuesBaseInCategory.EMPLOYED, base="6800.00", effective_month=max(account.owes_from, this_month)))
    assert isinstance(account, AccountOut), account
    owed = account.balance.owed_months
    assert owed and account.balance.outstanding != "0.00", account.to_dict()

    receipt = pay.sync(client=client, body=PaymentIn(
        idempotency_key=uuid.uuid4().hex, member_id=member_id, months=[m.month for m in owed],
        amount=account.balance.outstanding))
    assert isinstance(receipt, ReceiptOut), receipt
    assert receipt.total == account.balance.outstanding and [m.month for m in receipt.months] == [m.month for m in owed]
    after = get_dues.sync(member_id, client=client)
    assert after.balance.outstanding == "0.00" and after.paid_up_to >= owed[-1].month


def config_file(path: Path, seeded: dict) -> Path:
    """schemathesis.toml: dictionaries of the seeded ids, bound to the parameters that name them."""
    dictionaries = {"orgs": seeded["orgs"], "members": seeded["members"], "transfers": seeded["transfers"],
                    "founding": seeded["founding"], "alliances": seeded["alliances"],
                    "accounts": seeded["accounts"]}
    bindings = {"orgs": ("path.org_id", "query.org_id", "body.org_id", "body.parent_id", "body.to_org_id",
                         "body.to_group_id", "body.group_id"),
                "members": ("path.member_id", "body.member_id"), "transfers": ("path.transfer_id",),
                "founding": ("path.request_id",), "alliances": ("path.alliance_id",),
                "accounts": ("path.username",)}
    lines = []
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for name, keys in bindings.items():
        lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.8 }}' for key in keys]
    path.write_text("\n".join(lines) + "\n")
    return path


def schemathesis_run(base_url, config, report_dir, headers=(), examples=EXAMPLES):
    command = [str(Path(sys.executable).parent / "st"), "--config-file", str(config), "run",
               base_url + "/openapi.json", "--checks", CHECKS, "--max-examples", str(examples),
               "--seed", SEED, "--workers", "2", "--request-timeout", "30", "--phases", "examples,coverage,fuzzing",
               "--suppress-health-check", "all", "--warnings", "off", "--report", "junit",
               "--report-dir", str(report_dir)]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_COLOR": "1"})
    return done.returncode, done.stdout + done.stderr


@pytest.mark.timeout(900)
def test_every_operation_keeps_its_documented_contract_signed_in_and_not(seeded, contract_platform, tmp_path):
    config = config_file(tmp_path / "schemathesis.toml", seeded)
    signed_in = schemathesis_run(contract_platform.base_url, config, tmp_path / "signed-in",
                                 headers=[f"Authorization: Bearer {seeded['token']}"])
    anonymous = schemathesis_run(contract_platform.base_url, config, tmp_path / "anonymous", examples=3)
    for (code, output), who in ((signed_in, "signed in"), (anonymous, "without a token")):
        summary = output[output.rfind("SUMMARY"):] if "SUMMARY" in output else output[-4000:]
        assert code == 0, f"schemathesis {who} (seed {SEED}) found failures:\n{output}"
        assert "Tested: " in summary, summary  # it ran the operations, not nothing
    for name, alive in contract_platform.alive().items():
        assert alive, f"{name} died under the generated requests; log in {contract_platform.logs}"
