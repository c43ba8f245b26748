"""Demo dues for a first start: every demo member who owes dues gets a
category and a base (a seeded mix, as in a district: mostly employed across
the brackets, some retired, students, self-employed, a farmer or two); most
have paid what they owe (a few by proxy, a few with a voluntary payment on
top) and the rest are behind, so statements and collection reports have
something to show. Made through the dues service's RPC interface, as a
branch's dues officer would."""
import datetime as dt
import random
import time
import uuid
from decimal import Decimal

from shared.errors import NotFound

from .demo_members import in_parallel, weighted

SEED = 20081001
CATEGORY_WEIGHTS = (("employed", 70), ("retired", 12), ("student", 8), ("self_employed", 5),
                    ("unemployed", 3), ("farmer", 2))
BASE_RANGES = {"employed": (2200, 16000), "self_employed": (2500, 9000), "retired": (2500, 8000)}
FARMER_AMOUNTS = ("0.20", "0.50", "1.00")
PAID_SHARE, PROXY_SHARE, VOLUNTARY_SHARE = 0.8, 0.1, 0.05


def base_body(rng: random.Random, month: str) -> dict:
    category = weighted(rng, CATEGORY_WEIGHTS)
    body = {"category": category, "effective_month": month}
    if category in BASE_RANGES:
        low, high = BASE_RANGES[category]
        body["base"] = str(Decimal(rng.randrange(low * 100, high * 100)) / 100)
    elif category == "farmer":
        body["amount"] = rng.choice(FARMER_AMOUNTS)
    return body


def opened_accounts(dues, member_ids: list[str], timeout: float = 30.0) -> dict[str, dict]:
    """Each member's dues account, once dues has opened it from the members
    events (they arrive asynchronously): member id -> account."""
    deadline = time.monotonic() + timeout
    accounts, pending = {}, list(member_ids)
    while pending:
        replies = [(member_id, dues.get_dues.call_async(member_id)) for member_id in pending]
        pending = []
        for member_id, reply in replies:
            try:
                accounts[member_id] = reply.result()
            except NotFound:
                pending.append(member_id)
        if pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"dues opened no account for {len(pending)} members within {timeout}s")
            time.sleep(0.1)
    return accounts


def load_dues(dues, member_ids: list[str], today: dt.date | None = None, seed: int = SEED,
              concurrency: int = 8) -> dict:
    """Bases for the accounts of ``member_ids`` (probationary and full demo
    members), then their payments; returns counts."""
    today = today or dt.date.today()
    rng = random.Random(seed)
    accounts = opened_accounts(dues, member_ids)
    based = in_parallel([(dues.set_dues_base, (member_id, base_body(rng, account["owes_from"])))
                          for member_id, account in accounts.items()], concurrency)
    payments = []
    for account in based:
        owed = account["balance"]["owed_months"]
        if not account["liable"] or not owed or rng.random() > PAID_SHARE:
            continue
        body = {"idempotency_key": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ejia-demo/{account['member_id']}")),
                "member_id": account["member_id"], "months": [m["month"] for m in owed],
                "amount": account["balance"]["outstanding"], "paid_on": today.isoformat()}
        if rng.random() < PROXY_SHARE:
            body["paid_by"] = "党小组长代交"
        if rng.random() < VOLUNTARY_SHARE:
            body["voluntary_extra"] = rng.choice(("50.00", "100.00", "200.00"))
        payments.append((dues.pay, (body,)))
    in_parallel(payments, concurrency)
    return {"accounts": len(accounts), "paid": len(payments)}
