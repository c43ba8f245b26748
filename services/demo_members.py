"""Demo members for a first start: a few hundred people spread over the demo
branches, at every stage of the development pipeline and in a few statuses,
made deterministically (a seeded random) from surname and given-name lists.

Each person is valid as the members service judges them: an 18-digit ID
number (GB 11643 check digit) that codes the birth date and the gender,
a mobile number, an employer of the branch's unit, and stage dates in
pipeline order under the rules (18 on the application date, a year as an
activist before becoming a candidate, a year of probation).

``people(...)`` only makes data; ``load_members(...)`` registers it through
the members service's RPC interface, as a branch organiser would."""
import datetime as dt
import random
import time
from dataclasses import dataclass, field

from shared.contracts.members import id_number_check_digit
from shared.dates import add_months
from shared.errors import NotFound, RuleViolation

SEED = 20240701

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_MALE = "伟强磊军洋勇杰涛明超辉刚健斌鹏飞宇浩凯俊帅峰建国华亮成志文博晨阳立新海波东旭晓龙毅坤锋"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲婷雪慧倩颖琳欣怡晶燕红梅兰洁琴萍莉佳悦蕾璐瑶菲彤妍岚雯露媛"
ETHNICITIES = (("汉族", 93), ("回族", 2), ("满族", 1), ("蒙古族", 1), ("壮族", 1), ("苗族", 1), ("朝鲜族", 1))
EDUCATION = {
    "enterprise": (("大学本科", 50), ("硕士研究生", 30), ("博士研究生", 5), ("大学专科", 15)),
    "research_institute": (("博士研究生", 45), ("硕士研究生", 40), ("大学本科", 15)),
    "community": (("大学本科", 35), ("大学专科", 30), ("高中", 25), ("硕士研究生", 10)),
}
REGIONS = ("320506", "320505", "320508", "320507", "320509", "320583", "320581", "320582", "320585",
           "320102", "321002", "110105", "310115", "330106", "340104", "370102", "410102", "420111",
           "510107", "430104")
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "157", "158", "159", "182",
                   "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153",
                   "180", "181", "189", "177", "199")
COMMUNITY_EMPLOYERS = ("月亮湾社区居委会", "苏州工业园区第二实验小学", "独墅湖医院", "园区市场监管局",
                       "苏州大学", "西交利物浦大学", "个体经营", "退休")
ASSESSMENTS = (("excellent", 25), ("good", 60), ("fair", 15))
STAGE_WEIGHTS = (("full", 52), ("probationary", 10), ("candidate", 10), ("activist", 13), ("applicant", 15))


@dataclass
class DemoBranch:
    """A demo branch the members go to: its id, unit type, employers, groups."""
    id: str
    name: str
    unit_type: str
    employers: tuple
    size: int
    group_ids: tuple = ()


@dataclass
class Person:
    data: dict  # the register_member body
    status: str = "active"
    status_changes: list = field(default_factory=list)  # change_status bodies, in order
    steps: list = field(default_factory=list)  # (step, body) pipeline steps after registration


def id_number(region: str, birth_date: dt.date, sequence: int) -> str:
    """18-character resident ID number: region, birth date, a 3-digit
    sequence (odd for men, even for women), GB 11643 check character."""
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_digit(first17)


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def _days_ago(today: dt.date, rng: random.Random, low: int, high: int) -> dt.date:
    return today - dt.timedelta(days=rng.randint(low, high))


class _Maker:
    def __init__(self, today: dt.date, seed: int):
        self.today, self.rng = today, random.Random(seed)
        self.id_numbers, self.names = set(), set()

    def name(self, gender: str) -> str:
        given = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
        for _ in range(50):
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(given)
                                                       for _ in range(self.rng.choice((1, 2, 2))))
            if name not in self.names:
                self.names.add(name)
                return name
        return name  # namesakes happen

    def id_number(self, birth_date: dt.date, gender: str) -> str:
        while True:
            sequence = self.rng.randrange(1 if gender == "male" else 0, 1000, 2)
            value = id_number(self.rng.choice(REGIONS), birth_date, sequence)
            if value not in self.id_numbers:
                self.id_numbers.add(value)
                return value

    def phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"

    def birth_date(self, latest_application: dt.date, min_age: int, max_age: int) -> dt.date:
        """Old enough to apply (18) on ``latest_application`` at the latest."""
        youngest = add_months(latest_application, -12 * max(min_age, 18))
        return youngest - dt.timedelta(days=self.rng.randint(0, 365 * (max_age - max(min_age, 18))))

    def stage_dates(self, stage: str) -> dict:
        """Dates of each stage reached, in pipeline order, under the 2014 rules."""
        rng, today = self.rng, self.today
        if stage == "applicant":
            return {"applied_on": _days_ago(today, rng, 3, 300)}
        if stage == "activist":
            activist_on = _days_ago(today, rng, 10, 600)
        elif stage == "candidate":
            candidate_on = _days_ago(today, rng, 10, 240)
            activist_on = add_months(candidate_on, -rng.randint(12, 20))
        else:
            admitted_on = (_days_ago(today, rng, 20, 420) if stage == "probationary"
                           else _days_ago(today, rng, 400, 365 * 30))
            candidate_on = admitted_on - dt.timedelta(days=rng.randint(60, 300))
            activist_on = add_months(candidate_on, -rng.randint(12, 24))
        dates = {"applied_on": activist_on - dt.timedelta(days=rng.randint(30, 200)), "activist_on": activist_on}
        if stage in ("candidate", "probationary", "full"):
            dates["candidate_on"] = candidate_on
        if stage in ("probationary", "full"):
            dates["admitted_on"] = admitted_on
        if stage == "full":
            dates["full_on"] = add_months(admitted_on, 12)
        return dates

    def person(self, branch: DemoBranch, stage: str) -> Person:
        rng = self.rng
        gender = "female" if rng.random() < 0.45 else "male"
        dates = self.stage_dates(stage)  # within the last 5 years unless full: under the 2014 rules
        max_age = 35 if stage in ("applicant", "activist", "candidate") else 45
        birth = self.birth_date(dates["applied_on"], 18, max_age)
        data = {"name": self.name(gender), "gender": gender, "birth_date": birth.isoformat(),
                "ethnicity": weighted(rng, ETHNICITIES),
                "education": weighted(rng, EDUCATION.get(branch.unit_type, EDUCATION["enterprise"])),
                "id_number": self.id_number(birth, gender), "phone": self.phone(),
                "employer": rng.choice(branch.employers), "org_id": branch.id, "stage": stage,
                **{k: v.isoformat() for k, v in dates.items()}}
        if branch.group_ids and rng.random() < 0.8:
            data["group_id"] = rng.choice(branch.group_ids)
        return Person(data)

    def statuses(self, person: Person):
        """A few lost contact (some of them suspended after 6 months), a few deceased."""
        roll, stage = self.rng.random(), person.data["stage"]
        if stage != "full" or roll > 0.07:
            return
        if roll < 0.01:
            person.status_changes.append({"status": "deceased", "changed_on": _days_ago(self.today, self.rng, 5, 300)
                                          .isoformat(), "reason": "因病去世"})
            person.status = "deceased"
            return
        lost = _days_ago(self.today, self.rng, 20, 600)
        person.status_changes.append({"status": "lost_contact", "changed_on": lost.isoformat(),
                                      "reason": "电话、信函均无回复"})
        person.status = "lost_contact"
        suspend_on = add_months(lost, 6 + self.rng.randint(0, 2))
        if roll < 0.03 and suspend_on <= self.today:
            person.status_changes.append({"status": "suspended", "changed_on": suspend_on.isoformat(),
                                          "reason": "失去联系满六个月，停止党籍"})
            person.status = "suspended"


def people(branches: list[DemoBranch], today: dt.date | None = None, seed: int = SEED) -> list[Person]:
    """The demo members of ``branches`` (each ``branch.size`` people): full
    members first in each branch, so that others can name them as contacts."""
    maker = _Maker(today or dt.date.today(), seed)
    result = []
    for branch in branches:
        stages = [weighted(maker.rng, STAGE_WEIGHTS) for _ in range(branch.size)]
        stages = sorted(stages, key=lambda s: s != "full")  # full members first
        if stages.count("full") < 3:
            stages[:3] = ["full"] * 3
        for stage in stages:
            person = maker.person(branch, stage)
            maker.statuses(person)
            result.append(person)
    return result


def _pipeline_steps(rng: random.Random, person: Person, full_ids: list[str], today: dt.date):
    """Steps after registration that make the pipeline views lively: talks
    with most applicants; contacts, half-yearly assessments (most of them)
    and, for candidates, sponsors."""
    data, stage = person.data, person.data["stage"]
    if stage == "applicant" and rng.random() < 0.6:
        applied = dt.date.fromisoformat(data["applied_on"])
        talked = min(applied + dt.timedelta(days=rng.randint(3, 40)), today)
        person.steps.append(("record-talk", {"talked_on": talked.isoformat(), "talked_by": "支部书记",
                                             "decided_by": "支部委员会"}))
    if stage not in ("activist", "candidate"):
        return
    activist = dt.date.fromisoformat(data["activist_on"])
    if len(full_ids) >= 2:
        person.steps.append(("assign-contacts", {"contact_ids": rng.sample(full_ids, rng.choice((1, 2))),
                                                 "assigned_on": activist.isoformat()}))
    if rng.random() < 0.8:
        start = dt.date.fromisoformat(data.get("candidate_on") or data["activist_on"])
        assessed = add_months(start, 6)
        while assessed <= today:
            person.steps.append(("record-assessment", {
                "assessed_on": assessed.isoformat(), "result": weighted(rng, ASSESSMENTS)}))
            assessed = add_months(assessed, 6)
    if stage == "candidate" and len(full_ids) >= 2:
        person.steps.append(("assign-sponsors", {"sponsor_ids": rng.sample(full_ids, 2),
                                                 "assigned_on": data["candidate_on"]}))


def wait_until_known(members, org_ids, timeout: float = 30.0):
    """Members learns of organisations from orgs' events: wait (briefly,
    polling) until it knows every one of ``org_ids``."""
    deadline = time.monotonic() + timeout
    pending = list(org_ids)
    while pending:
        try:
            members.list_members(pending[0], limit=1)
            pending.pop(0)
        except NotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def register(members, data: dict, timeout: float = 30.0) -> dict:
    """``register_member``, retried while the branch is not yet known (or
    not yet active) to the members service."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return members.register_member(data)
        except (NotFound, RuleViolation) as exc:
            waiting = isinstance(exc, NotFound) or exc.rule == "members.registration.active_branch"
            if not waiting or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _in_rounds(calls_by_member: list[list], concurrency: int) -> int:
    """Each member's calls in order (round i: the i-th call of every member),
    different members' calls in parallel; returns how many were made."""
    made = 0
    for round_ in range(max((len(calls) for calls in calls_by_member), default=0)):
        batch = [calls[round_] for calls in calls_by_member if len(calls) > round_]
        in_parallel(batch, concurrency)
        made += len(batch)
    return made


def in_parallel(calls, concurrency: int):
    """Run ``(method, args)`` RPC calls with at most ``concurrency`` in flight
    (nameko's call_async); results in order; the first error is raised."""
    results, in_flight = [], []
    for method, args in calls:
        in_flight.append(method.call_async(*args))
        if len(in_flight) >= concurrency:
            results.append(in_flight.pop(0).result())
    results.extend(reply.result() for reply in in_flight)
    return results


def load_members(members, branches: list[DemoBranch], today: dt.date | None = None, seed: int = SEED,
                 concurrency: int = 8) -> dict:
    """Register the demo members of ``branches`` and their statuses and
    pipeline steps; return counts by stage and status, the active full
    members of each branch (``full_by_org``), and (``owing_dues``) the ids of
    the probationary and full members, who have dues accounts."""
    today = today or dt.date.today()
    wait_until_known(members, [b.id for b in branches] + [g for b in branches for g in b.group_ids])
    crowd = people(branches, today, seed)
    rng = random.Random(seed + 1)
    first = register(members, crowd[0].data)  # the members service is warm and the branches known
    ids = [first["id"]] + [m["id"] for m in in_parallel(
        [(members.register_member, (p.data,)) for p in crowd[1:]], concurrency)]
    full_ids: dict[str, list] = {}
    for person, member_id in zip(crowd, ids):
        if person.data["stage"] == "full" and person.status == "active":
            full_ids.setdefault(person.data["org_id"], []).append(member_id)
    for person in crowd:
        _pipeline_steps(rng, person, full_ids.get(person.data["org_id"], []), today)
    steps = _in_rounds([[(members.pipeline_step, (member_id, step, body)) for step, body in person.steps]
                        for person, member_id in zip(crowd, ids)], concurrency)
    _in_rounds([[(members.change_status, (member_id, body)) for body in person.status_changes]
                for person, member_id in zip(crowd, ids)], concurrency)
    counts = {"members": len(crowd), "stages": {}, "statuses": {}, "pipeline_steps": steps,
              "full_by_org": full_ids,
              "owing_dues": [member_id for person, member_id in zip(crowd, ids)
                             if person.data["stage"] in ("probationary", "full")]}
    for person in crowd:
        counts["stages"][person.data["stage"]] = counts["stages"].get(person.data["stage"], 0) + 1
        counts["statuses"][person.status] = counts["statuses"].get(person.status, 0) + 1
    return counts
