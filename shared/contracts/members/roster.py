"""The roster spreadsheet's columns (docs/domain.md §2.9): the import
template's, and an exported roster's, so that an export reads back as an
import. Chinese headers first (people read them), each with the
registration field it fills, an English label and an example."""

__all__ = ["COLUMNS", "FIELD_HEADERS", "HEADERS"]

COLUMNS = (
    # (Chinese header, field, English label, example)
    ("姓名", "name", "name", "李明"),
    ("性别", "gender", "gender (男/女)", "男"),
    ("出生日期", "birth_date", "birth date", "1990-05-04"),
    ("民族", "ethnicity", "ethnicity", "汉族"),
    ("学历", "education", "education", "大学本科"),
    ("身份证号码", "id_number", "ID number", "320506199005041234"),
    ("手机号码", "phone", "phone", "13812345678"),
    ("工作单位", "employer", "employer", "纳米科技有限公司"),
    ("所在党支部", "org_id", "branch (id or exact name)", "纳米科技党支部"),
    ("党小组", "group_id", "party group (id or exact name)", ""),
    ("人员类别", "stage", "stage", "正式党员"),
    ("申请入党日期", "applied_on", "application date", "2012-03-01"),
    ("确定入党积极分子日期", "activist_on", "designated activist", "2012-09-01"),
    ("确定发展对象日期", "candidate_on", "became a candidate", "2013-10-08"),
    ("接收预备党员日期", "admitted_on", "admission meeting", "2014-01-10"),
    ("转为正式党员日期", "full_on", "full membership", "2015-01-10"),
    ("例外情况说明", "legacy_reason", "legacy exception: reason", ""),
    ("例外依据文件", "legacy_reference", "legacy exception: reference", ""),
)
HEADERS = {header: field for header, field, _, _ in COLUMNS}
FIELD_HEADERS = {field: header for header, field, _, _ in COLUMNS}
