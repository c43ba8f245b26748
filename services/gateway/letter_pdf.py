"""The transfer letter (党员组织关系介绍信) as a printable PDF, in Chinese, as
issued: the serial in the issuing committee's sequence, both organisations,
the member, the validity, the month dues are paid up to (and the arrears,
where the rule set let a letter go with them), and the receipt slip (回执)
the receiving side returns.

Rendered with reportlab. The characters are real text (a search finds them,
text extraction gives them back): with a TrueType CJK font where the machine
has one (``EJIA_PDF_FONT``, else one of ``FONT_CANDIDATES``, embedded), else
the standard Adobe font ``STSong-Light`` (referenced, not embedded: every
PDF reader has it or a substitute)."""
import datetime as dt
import io
import os
from functools import lru_cache

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from shared.vocabulary import GENDER_LABELS, GROUND_LABELS, STAGE_LABELS

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
CID_FONT = "STSong-Light"


@lru_cache(maxsize=1)
def font_name() -> str:
    """The font the letter is set in, registered with reportlab once."""
    configured = os.environ.get("EJIA_PDF_FONT")
    for path in ((configured,) if configured else ()) + FONT_CANDIDATES:
        if path and os.path.exists(path):
            try:
                pdfmetrics.registerFont(TTFont("EjiaCJK", path, subfontIndex=0))
                return "EjiaCJK"
            except Exception:  # a font reportlab cannot read (CFF outlines): the next one
                continue
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def _day(value) -> str:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


def _month(value: str | None) -> str | None:
    return f"{value[:4]}年{int(value[5:7])}月" if value else None


def _serial(letter: dict) -> str:
    serial = letter.get("serial")
    if not serial:
        return f"第{letter['number']}号"
    year, number = serial.split("-")
    return f"〔{year}〕第{number}号"


def _dues_line(dues: dict) -> str:
    paid = _month(dues.get("paid_up_to"))
    line = f"该同志党费已交到{paid}。" if paid else "该同志尚无党费缴纳记录。"
    if dues.get("source") == "unknown":
        line = "该同志党费缴纳情况开具时未能核实。"
    if dues.get("settled") is False and dues.get("outstanding"):
        line += f"尚欠党费{dues['outstanding']}元。"
    return line


def letter_lines(letter: dict) -> dict:
    """The letter's text, part by part (the PDF sets these; a test reads them back)."""
    member, issuer = letter["member"], letter.get("issuer_name") or letter.get("from_org_name") or ""
    facts = "，".join(part for part in (GENDER_LABELS.get(member.get("gender")), member.get("ethnicity"),
                                        STAGE_LABELS.get(member.get("stage"))) if part)
    reason = GROUND_LABELS.get(letter.get("grounds"), "工作需要")
    serial = _serial(letter)
    return {
        "title": "中国共产党党员组织关系介绍信",
        "serial": f"{issuer}组织关系介绍信 {serial}",
        "addressee": f"{letter.get('to_org_name') or ''}：",
        "body": [
            f"{member['name']}同志（{facts}），系{letter.get('from_org_name') or ''}党员，因{reason}，"
            f"其党员组织关系由{letter.get('from_org_name') or ''}转至{letter.get('to_org_name') or ''}，请接洽。",
            _dues_line(letter.get("dues") or {}),
            f"（有效期至{_day(letter['valid_until'])}）",
        ],
        "signature": [f"{issuer}（盖章）", _day(letter["issued_on"])],
        "receipt_title": "回  执",
        "receipt": [
            f"{issuer}组织关系介绍信 {serial}",
            f"{letter.get('from_org_name') or ''}：",
            f"{member['name']}同志的党员组织关系已转达我处，特此回执。",
        ],
        "receipt_signature": [f"{letter.get('to_org_name') or ''}（盖章）", "年    月    日"],
    }


def _wrapped(pdf, text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (CJK text breaks between any two characters)."""
    lines, line = [], ""
    for char in text:
        if pdfmetrics.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return lines + ([line] if line else [])


def _signed(pdf, lines: list[str], right: float, y: float) -> float:
    """Who signs and when, set flush right from ``y`` down; the ``y`` below them."""
    for line in lines:
        pdf.drawRightString(right, y, line)
        y -= 8 * mm
    return y


def render_letter(letter: dict) -> bytes:
    """The letter as a one-page A4 PDF."""
    font, parts = font_name(), letter_lines(letter)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(parts["title"])
    pdf.setAuthor(letter.get("issuer_name") or "eJia")
    width, height = A4
    left, right, text_width = 25 * mm, width - 25 * mm, width - 50 * mm
    y = height - 30 * mm
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, y, parts["title"])
    y -= 10 * mm
    pdf.setFont(font, 11)
    pdf.drawRightString(right, y, parts["serial"])
    y -= 12 * mm
    pdf.setFont(font, 13)
    pdf.drawString(left, y, parts["addressee"])
    for paragraph in parts["body"]:
        y -= 3 * mm
        for line in _wrapped(pdf, "　　" + paragraph, font, 13, text_width):
            y -= 8 * mm
            pdf.drawString(left, y, line)
    y = _signed(pdf, parts["signature"], right, y - 16 * mm) - 8 * mm
    pdf.setDash(4, 3)
    pdf.line(left - 10 * mm, y, right + 10 * mm, y)
    pdf.setDash()
    pdf.setFont(font, 9)
    pdf.drawCentredString(width / 2, y + 2 * mm, "（沿此线剪下，由接收单位填写后寄回）")
    y -= 12 * mm
    pdf.setFont(font, 16)
    pdf.drawCentredString(width / 2, y, parts["receipt_title"])
    pdf.setFont(font, 13)
    for line in parts["receipt"]:
        y -= 9 * mm
        pdf.drawString(left, y, line)
    _signed(pdf, parts["receipt_signature"], right, y - 14 * mm)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
