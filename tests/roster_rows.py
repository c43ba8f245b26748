"""Roster rows as a district's spreadsheet has them (the import template's
headers), for the import tests at every level."""
import datetime as dt

from shared.contracts.members import id_number_check_digit

BIRTH = dt.date(1990, 5, 4)


def id_number(birth: dt.date, seq: str, region: str = "320506") -> str:
    first17 = region + birth.strftime("%Y%m%d") + seq
    return first17 + id_number_check_digit(first17)


def roster_row(seq: int, branch: str = "Nano Branch", **overrides) -> dict:
    """A row as the template's headers name its cells: a full member with a history that keeps every rule."""
    born = BIRTH + dt.timedelta(days=seq // 1000)
    row = {"姓名": f"党员{seq}", "性别": "女", "出生日期": born, "民族": "汉族", "学历": "大学本科",
           "身份证号码": id_number(born, f"{seq % 1000:03d}"), "手机号码": f"139{seq:08d}", "工作单位": "纳米科技有限公司",
           "所在党支部": branch, "人员类别": "正式党员", "申请入党日期": "2015-03-01",
           "确定入党积极分子日期": "2015-09-01", "确定发展对象日期": "2016-10-08", "接收预备党员日期": "2017-01-10",
           "转为正式党员日期": dt.datetime(2018, 1, 10)}
    row.update(overrides)
    return {key: value for key, value in row.items() if value is not None}
