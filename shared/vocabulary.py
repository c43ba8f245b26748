"""The platform's vocabulary: the names of kinds, stages, statuses and
states, and the classes of them that rules rely on. Plain data, no schema
library: domain modules import it, and the contracts (shared/contracts/)
publish it. Chinese labels for people come from the translation table."""


# ---- orgs ------------------------------------------------------------------

KINDS = ("committee", "general_branch", "branch", "joint_branch", "group")
BRANCH_KINDS = ("branch", "joint_branch")
ORG_STATUSES = ("active", "dissolved")
UNIT_TYPES = ("enterprise", "public_institution", "university", "research_institute",
              "government", "social_organisation", "village", "community", "other")
SEAT_ROLES = ("secretary", "deputy_secretary", "organisation", "publicity", "discipline",
              "youth", "women", "united_front")
FOUNDING_STATES = ("requested", "approved", "rejected", "committee_elected", "confirmed")

# ---- members ---------------------------------------------------------------

GENDERS = ("male", "female")
STAGES = ("applicant", "activist", "candidate", "probationary", "full")
STATUSES = ("active", "lost_contact", "suspended", "left", "expelled", "deceased")
FINAL_STATUSES = ("left", "expelled", "deceased")
"""No longer a member: counted for no branch, owing nothing, changing no more."""
IN_GOOD_STANDING = "active"
"""The status that counts for votes, committees and founding (with the stage ``full``)."""
DUES_PAYING_STAGES = ("probationary", "full")
DUES_PAYING_STATUSES = ("active", "lost_contact")
"""Who owes dues: probationary and full members in good standing, or out of
contact (that is how arrears build up); not the suspended, not the gone."""
ASSESSMENT_RESULTS = ("excellent", "good", "fair", "poor")
DEADLINE_KINDS = ("talk", "assessment", "candidate_eligibility", "admission_approval", "probation_end")
STAGE_DATES = {"applicant": "applied_on", "activist": "activist_on", "candidate": "candidate_on",
               "probationary": "admitted_on", "full": "full_on"}
"""The date a member reached each stage (``admitted_on``: the admission
meeting, when probation starts and party membership begins)."""
PROFILE_FIELDS = ("name", "gender", "birth_date", "ethnicity", "education", "employer")

# ---- transfers -------------------------------------------------------------

TRANSFER_STATES = ("requested", "returned", "approved", "letter_issued", "letter_expired", "accepted",
                   "report_overdue", "reported_in", "completed", "withdrawn", "rejected", "cancelled")
"""requested -> approved (sending side) -> letter_issued -> accepted (receiving
side) -> reported_in (placed) -> completed. ``returned``: sent back for
correction; ``letter_expired``: reissue; ``report_overdue``: accepted, the
member has not reported in within the window (an alert)."""
FINAL_TRANSFER_STATES = ("completed", "withdrawn", "rejected", "cancelled")
PENDING_TRANSFER_STATES = tuple(s for s in TRANSFER_STATES if s not in FINAL_TRANSFER_STATES)
SCOPES = ("in_city", "elsewhere")
SIDES = ("sending", "receiving")
DUES_SOURCES = ("dues_service", "issuer", "unknown")
"""Where the letter's dues figures come from: the dues service, the issuer's
own record (the dues service could not tell), or nowhere (not known)."""
GROUNDS = ("employer_change", "residence_change", "long_absence", "other")
"""Why the member moves: a change of employer or residence, an absence of
six months or more at one place, or another reason given in ``reason``."""
PLATFORM_GROUNDS = ("branch_founding",)
"""Grounds only the platform records: a founding member moved into the
branch founded from their record (nobody requests it)."""

# ---- identity --------------------------------------------------------------

ACCOUNT_KINDS = ("staff", "member")
USERNAME_PATTERN = r"^[a-z0-9._-]{3,64}$"
MIN_PASSWORD, MAX_PASSWORD = 8, 128
MAX_GRANTS = 50

# ---- dues ------------------------------------------------------------------

RATE_CATEGORIES = ("employed", "retired", "self_employed", "annual_salary")
"""Assessed as a rate of a base: pay after tax, pension, last quarter's average
monthly net income, pay received that month."""
SET_AMOUNT_CATEGORIES = ("farmer",)
"""A monthly amount set per member within the range the rules allow."""
FIXED_CATEGORIES = ("student", "unemployed", "relief")
CATEGORIES = RATE_CATEGORIES + SET_AMOUNT_CATEGORIES + FIXED_CATEGORIES
BASE_POLICIES = ("from_month_of_change", "fixed_yearly")
REDUCTION_KINDS = ("reduced", "waived")
REDUCTION_STATES = ("requested", "approved", "rejected")
MONTH_STATES = ("paid", "unpaid", "waived", "excused", "unassessed", "not_due")
MAX_MONTHS = 24


# ---- Chinese labels for people (documents; the web app's table builds on these) ----

STAGE_LABELS = {"applicant": "入党申请人", "activist": "入党积极分子", "candidate": "发展对象",
                "probationary": "中共预备党员", "full": "中共正式党员"}
GENDER_LABELS = {"male": "男", "female": "女"}
GROUND_LABELS = {"employer_change": "工作调动", "residence_change": "居住地变更", "long_absence": "外出时间较长",
                 "other": "其他原因", "branch_founding": "成立新党组织"}

MESSAGES_ZH = {
    # problems of an input
    "required": "必填项未填写",
    "invalid": "格式不正确",
    # rule codes (the figures are the rule set's: a message names none)
    "members.pipeline.min_age": "申请入党时未达到规定年龄",
    "members.pipeline.activist_period": "入党积极分子培养期未满规定期限",
    "members.pipeline.probation_end": "预备期未满规定期限",
    "members.registration.active_branch": "所在党支部不存在或已撤销",
    "members.vote.eligible_count": "应到会有表决权人数与党员名册不符",
    "members.vote.attendee": "到会人员中有不具有表决权的人员",
    "members.vote.present_count": "实到人数与到会名单不符",
    "members.transfer.dues_outstanding": "党费未缴清，暂不能开具组织关系介绍信",
    "orgs.count.differs_from_records": "申报的正式党员人数与党员名册不符",
    # a roster import's own
    "import.branch_outside": "所在党支部不在本次导入的组织范围内",
    "import.branch_unknown": "找不到该党支部",
    "import.duplicate_in_file": "身份证号码在文件中重复出现",
    "import.unknown_column": "无法识别的列",
    "import.interrupted": "导入中断，未写入任何数据",
    "import.failed": "导入失败，未写入任何数据",
}
"""Chinese messages by code, for people: what the import reports (and the
first entries of the web app's table). Codes without one fall back to "invalid"."""
