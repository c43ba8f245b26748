"""The printed transfer letter (issue 14, item 4): ``GET
/api/v1/transfers/{id}/letter.pdf`` renders what the members service says
was issued; the PDF's text, extracted, holds the member, both
organisations, the serial, the validity, the paid-up month and the receipt
slip. Arrears are printed only where the letter was issued with them."""
import io
import json
from unittest import mock

import pytest
from nameko.testing.services import worker_factory
from pypdf import PdfReader
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from access_helpers import bearer, token
from services.gateway.auth import Authenticator
from services.gateway.letter_pdf import letter_lines, render_letter
from shared.errors import Conflict
from test_transfers_api import SECRET, TransfersGateway
from unit.fixed_scope import FixedScope

LETTER = {
    "transfer_id": "t-1", "state": "letter_issued", "number": 1, "serial": "2026-0012", "issuer_id": "c-1",
    "issuer_name": "独墅湖科教创新区党工委", "reference": None, "issued_on": "2026-12-01",
    "valid_until": "2026-12-31", "expired": False, "rules_version": "2014",
    "dues": {"paid_up_to": "2026-11", "outstanding": "0.00", "settled": True, "source": "dues_service"},
    "from_org_name": "纳米科技党支部", "to_org_name": "生物医药党支部", "scope": "elsewhere",
    "grounds": "employer_change",
    "member": {"id": "m-1", "name": "王晓明", "gender": "male", "ethnicity": "汉族", "stage": "full"},
}


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return "".join(reader.pages[0].extract_text().split())


def test_the_letters_text_is_real_text_holding_what_was_issued():
    text = text_of(render_letter(LETTER))
    for expected in ("中国共产党党员组织关系介绍信", "王晓明", "纳米科技党支部", "生物医药党支部",
                     "独墅湖科教创新区党工委组织关系介绍信〔2026〕第0012号", "党费已交到2026年11月",
                     "有效期至2026年12月31日", "回执", "2026年12月1日", "工作调动", "中共正式党员"):
        assert expected in text, expected
    assert "欠" not in text
    assert text.count("〔2026〕第0012号") == 2, "on the letter and on its receipt slip"


def test_a_letter_issued_with_arrears_prints_them():
    owing = {**LETTER, "dues": {"paid_up_to": "2026-05", "outstanding": "208.54", "settled": False,
                                "source": "dues_service"}}
    assert "尚欠党费208.54元" in text_of(render_letter(owing))
    unknown = {**LETTER, "dues": {"paid_up_to": None, "outstanding": None, "settled": None, "source": "unknown"}}
    assert "未能核实" in "".join(letter_lines(unknown)["body"])


def test_a_letter_from_before_serials_shows_its_number():
    assert letter_lines({**LETTER, "serial": None, "number": 2})["serial"].endswith("第2号")


@pytest.fixture
def fetch():
    members = mock.Mock(name="members")
    gateway = worker_factory(TransfersGateway, orgs=mock.Mock(name="orgs"), members=members,
                             auth=Authenticator(SECRET), scope=FixedScope(), config={"GATEWAY_RPC_TIMEOUT": 1.0})

    def do(transfer_id="t-1"):
        builder = EnvironBuilder(method="GET", path=f"/api/v1/transfers/{transfer_id}/letter.pdf",
                                 headers=bearer(token(secret=SECRET)))
        return gateway.transfer_letter_pdf(Request(builder.get_environ()), transfer_id=transfer_id)
    do.members = members
    return do


def test_the_route_answers_the_pdf(fetch):
    fetch.members.transfer_letter.return_value = LETTER
    response = fetch()
    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert 'filename="transfer-letter-2026-0012.pdf"' in response.headers["Content-Disposition"]
    assert "王晓明" in text_of(response.get_data())
    fetch.members.transfer_letter.assert_called_once_with("t-1")


def test_before_a_letter_is_issued_the_route_is_a_json_409(fetch):
    fetch.members.transfer_letter.side_effect = Conflict("transfer t-1 is requested: no letter was issued",
                                                         {"state": "requested"})
    response = fetch()
    assert response.status_code == 409 and json.loads(response.get_data())["error"]["fields"] == \
        {"state": "requested"}
