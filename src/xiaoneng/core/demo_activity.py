"""Demo activity (演示业务数据): three months of believable work on top of the demo county (``core.demo``).

``build_activity(seed, now=None)`` replays about 400 cases, their supervision cards, feedback and a published
evaluation through the platform's *public write paths* only:

* case state: ``cases.services.record_events`` — events are recorded in time order, in small batches whose
  ``received_at`` is the time they happened (as a live workbench would report them), so the data-timeliness
  indicator and the irregularity rules see a normal department, except for the few irregularities planted on
  purpose (a fee not in the published list, a decision without the review steps, a report two days late, a
  case back-filled in one batch);
* cards: ``supervision.services.sweep`` every working evening of the simulated period and once at ``now``;
  one card appealed and revoked; one supervision order replied to and closed with accountability;
* feedback: ``feedback.services`` (consultations, complaints — one linked to a case —, ratings including a
  差评 that goes through verify → rectify → call back), each stamped with its simulated time;
* evaluation: the last two complete months evaluated and published (``evaluation.services``).

Deterministic for a seed (``random.Random(seed)``; only the case engine's own random query/rating codes and
the case numbers' daily counters come from elsewhere) and idempotent: every event carries an ``event_id`` in the
``demo-`` namespace and a second call finds them and returns without writing anything. All of it runs in one
transaction, so an interrupted build leaves nothing behind.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaoneng.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseStatus, EventType
from xiaoneng.cases.services import NewEvent, next_case_no, record_events, rederive_cases
from xiaoneng.catalog.models import Fee, HandlingType, Item, Step
from xiaoneng.core import demo
from xiaoneng.org.models import Department, Hall, Post, PostAssignment, User
from xiaoneng.workcal.selectors import get_calendar

EVENT_PREFIX = "demo-"
DAYS_BACK = 91
BATCH_SPAN = timedelta(hours=12)  # events are "reported" within a working day (the evening sweep flushes)
SAFETY = timedelta(minutes=3)  # nothing is planned closer than this to ``now``

POST_PREFIX = {
    Post.ACCEPTOR: "clerk", Post.REVIEWER1: "reviewer", Post.REVIEWER2: "reviewer2", Post.DECIDER: "decider",
    Post.NOTIFIER: "notifier", Post.LEADER: "leader", Post.SECTION_CHIEF: "chief", Post.CHIEF_REP: "rep",
    Post.DEPT_ADMIN: "deptadmin",
}
# Cases per department (the demo logins' departments first); the rest of the ~400 is spread over the others.
WEIGHTS = {"SCJ": 64, "ZJJ": 52, "CGZ": 40, "ZRJ": 28, "GAJ": 14, "SWJ": 12, "RSJ": 10, "MZJ": 10, "WJJ": 9,
           "JTJ": 10, "NYJ": 10}
WEAK = {"JTJ": 0.45, "NYJ": 0.3, "ZJJ": 0.15}  # departments that often run late (a believable ranking)
DEFAULT_WEIGHT = 6
DEMO_DEPARTMENTS = ("SCJ", "ZJJ", "CGZ")

COMPANIES = ("示范县{}商贸有限公司", "示范县{}餐饮管理有限公司", "浙江{}建设工程有限公司", "示范县{}食品有限公司",
             "示范县{}物业服务有限公司", "示范县{}农业发展有限公司", "示范县{}医药连锁有限公司", "{}（示范）科技有限公司")
FIRMS = "恒达 鑫源 瑞丰 兴业 金禾 润泽 东升 华宇 宏图 安康 佳美 天成 明德 永盛 青禾 远航 汇通 嘉和 福瑞 新城".split()
OPINIONS = ("材料齐全，符合法定形式，同意", "经审查符合条件，拟同意", "现场核查情况属实，同意", "同意，报决定")
REJECT_REASONS = ("申请事项不属于本部门职权范围，已告知向县自然资源和规划局申请",
                  "申请人不具备申请资格：经营场所位于规划禁止区域")
SPECIAL_LABEL = {"expert_review": "专家评审", "inspection": "检验", "hearing": "听证"}


@dataclass
class Planned:
    at: datetime
    type: str
    actor: str  # username ("" for an online applicant)
    payload: dict = field(default_factory=dict)
    delay: timedelta | None = None  # reported this long after it happened (late report)
    first: bool = False  # the event that names the case (item + department + case fields)


@dataclass
class CaseSpec:
    item: Item
    fate: str
    channel: str = "window"
    stage: int | None = None  # for "progress": the work stage running at ``now`` (0-based)
    x_now: float | None = None  # for placed cases: working days from acceptance to ``now``
    agent: str = ""
    flags: set[str] = field(default_factory=set)


@dataclass
class Stats:
    cases: int = 0
    events: int = 0
    batches: int = 0
    cards: int = 0
    consultations: int = 0
    complaints: int = 0
    ratings: int = 0
    scores: int = 0
    seconds: float = 0.0
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return "演示业务数据已存在，跳过 (demo activity already present)."
        return (f"演示业务数据：办件 {self.cases} 件（事件 {self.events} 条），监察卡片 {self.cards} 张，咨询 "
                f"{self.consultations} 件，投诉 {self.complaints} 件，评价 {self.ratings} 条，考核得分 {self.scores} 条 "
                f"（{self.seconds:.1f} 秒）")


def already_built() -> bool:
    return CaseEvent.objects.filter(source_system="", event_id__startswith=EVENT_PREFIX).exists()


def build_activity(seed: int = demo.DEFAULT_SEED, now: datetime | None = None) -> Stats:
    """Create the demo activity once (see the module docstring); returns what was created."""
    if already_built():
        return Stats(skipped=True)
    started = time.perf_counter()
    with transaction.atomic():
        stats = _Builder(random.Random(seed), now or timezone.now()).run()
    stats.seconds = time.perf_counter() - started
    return stats


# --- the builder ------------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.cal = get_calendar(demo.COUNTY_CODE)
        self.spd = self.cal.seconds_per_day
        self.stats = Stats()
        self.users = {u.username: u for u in User.objects.filter(kind="staff")}
        self.depts = {d.code: d for d in Department.objects.select_related("region")}
        self.halls = {h.name: h for h in Hall.objects.all()}
        items = Item.objects.select_related("current_version", "department").filter(
            current_version__status="published", code__in=[i.code for i in demo.plan(demo.DEFAULT_SEED).items])
        self.items = {i.code: i for i in items}
        self.steps: dict[int, list[Step]] = {}
        for s in Step.objects.select_related("department").filter(
                version_id__in=[i.current_version_id for i in self.items.values()]).order_by("order", "id"):
            self.steps.setdefault(s.version_id, []).append(s)
        self.by_dept: dict[str, list[Item]] = {}
        for item in sorted(self.items.values(), key=lambda i: i.code):
            self.by_dept.setdefault(item.department.code, []).append(item)
        away = PostAssignment.objects.filter(user__username="reviewer_zjj", away_from__isnull=False).first()
        self.away = (away.away_from, away.away_until) if away else None
        start_day = timezone.localtime(now).date() - timedelta(days=DAYS_BACK)
        self.workdays = [d for d in (start_day + timedelta(days=n) for n in range(DAYS_BACK + 1))
                         if self.cal.is_workday(d) and self.cal.open_of_day(d) < now - timedelta(hours=2)]
        self.timeline: list[tuple[datetime, int, Any]] = []  # (reported at, order, Planned event | callable)
        self.order = 0
        self.case_nos: dict[str, CaseSpec] = {}
        self.used_names: set[str] = set()
        self.doc_seq: dict[str, int] = {}
        self.marked: dict[str, str] = {}  # role -> case_no (the cases later steps refer to)

    # --- small helpers ---

    def user(self, username: str) -> User | None:
        return self.users.get(username)

    def name_of(self, username: str) -> str:
        u = self.users.get(username)
        return u.display_name if u else username

    def staff(self, post: str, dept_code: str) -> str:
        return f"{POST_PREFIX[post]}_{dept_code.lower()}"

    def wt(self, origin: datetime, days: float) -> datetime:
        """``origin`` plus ``days`` working days (office hours only)."""
        return self.cal.add_working_seconds(origin, max(int(days * self.spd), 0))

    def random_instant(self, days: list[date]) -> datetime:
        d = self.rng.choice(days)
        return self.wt(self.cal.open_of_day(d), self.rng.uniform(0.04, 0.92))

    def person(self) -> str:
        while True:
            name = self.rng.choice(demo.SURNAMES) + "".join(
                self.rng.choice(demo.GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def id_no(self) -> str:
        born = date(1958, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 45))
        body = f"330122{born:%Y%m%d}{self.rng.randrange(0, 1000):03d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
        return body + check

    def credit_code(self) -> str:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        return "91330122" + "".join(self.rng.choice(alphabet) for _ in range(10))

    def phone(self) -> str:
        return "1" + self.rng.choice("3578") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def document_no(self, item: Item) -> str:
        dept = item.department
        year = timezone.localtime(self.now).year
        self.doc_seq[dept.code] = self.doc_seq.get(dept.code, 0) + 1
        word = "许准" if item.item_type == "01" else "办"
        return f"{dept.short_name or dept.code}{word}〔{year}〕第{self.doc_seq[dept.code]:04d}号"

    def schedule(self, at: datetime, thing: Any) -> None:
        self.order += 1
        self.timeline.append((at, self.order, thing))

    # --- run ---

    def run(self) -> Stats:
        specs = self.plan_specs()
        for spec in specs:
            self.plan_case(spec)
        self.plan_feedback()
        for d in self.workdays:  # the worker's sweep, every working evening
            at = self.cal.close_of_day(d) + timedelta(minutes=30)
            if at < self.now:
                self.schedule(at, ("sweep", at))
        self.replay()
        from xiaoneng.supervision import services as supervision

        supervision.sweep(now=self.now)
        open_ids = list(Case.objects.filter(
            case_no__in=list(self.case_nos), status__in=[*OPEN_STATUSES, CaseStatus.DECIDED]
        ).values_list("pk", flat=True))
        rederive_cases(open_ids, now=self.now)  # elapsed time and clock state as of ``now``
        supervision.sweep(now=self.now)
        self.supervise()
        self.evaluate()
        from xiaoneng.supervision.models import Alert

        self.stats.cards = Alert.objects.filter(case__case_no__in=list(self.case_nos)).count() + \
            Alert.objects.exclude(subject_type="case").count()
        return self.stats

    # --- which cases ---

    def item(self, dept: str, name_part: str) -> Item:
        for item in self.by_dept.get(dept, []):
            if name_part in item.name:
                return item
        raise LookupError(f"demo item {dept} {name_part}")

    def promised_items(self, dept: str) -> list[Item]:
        return [i for i in self.by_dept.get(dept, [])
                if i.current_version.handling_type == HandlingType.PROMISED and len(self.work_stages(i)) >= 2]

    def plan_specs(self) -> list[CaseSpec]:
        rng = self.rng
        specs: list[CaseSpec] = []
        add = specs.append

        # Every clerk / reviewer / decider / notifier of the demo departments has work in the inbox.
        for dept in DEMO_DEPARTMENTS:
            promised = self.promised_items(dept)
            for _n in range(3):
                add(CaseSpec(rng.choice(promised), "pending", channel=rng.choice(("window", "online", "window"))))
            for stage in range(3):
                for _n in range(2 if stage else 3):
                    candidates = [i for i in promised if len(self.work_stages(i)) > stage]
                    add(CaseSpec(rng.choice(candidates), "progress", stage=stage))
            for _n in range(2):
                add(CaseSpec(rng.choice(promised), "await_delivery"))
        # overdue / nearly overdue cases still in progress
        add(CaseSpec(self.item("SCJ", "食品经营许可"), "overdue", x_now=None, flags={"warning"}))
        add(CaseSpec(self.item("SCJ", "药品零售"), "overdue", flags={"yellow"}))
        add(CaseSpec(self.item("SCJ", "食品生产许可"), "overdue", flags={"red"}))
        add(CaseSpec(self.item("ZJJ", "燃气经营"), "overdue", flags={"yellow"}))
        add(CaseSpec(self.item("ZJJ", "施工许可"), "overdue", flags={"red", "order"}))
        add(CaseSpec(self.item("STJ", "排污许可"), "overdue", flags={"red"}))
        add(CaseSpec(self.item("CGZ", "宅基地"), "late_delivery"))
        # corrections, special procedures, extension, rejection, withdrawal, denial
        add(CaseSpec(self.item("SCJ", "食品经营许可"), "correction_pre", channel="online"))
        add(CaseSpec(self.item("CGZ", "宅基地"), "correction_pre", channel="agent", agent="agent_dongcun"))
        add(CaseSpec(self.item("ZJJ", "商品房预售"), "correction_review", flags={"open"}))
        add(CaseSpec(self.item("SCJ", "特种设备"), "correction_review"))
        add(CaseSpec(self.item("ZJJ", "消防设计审查"), "special", flags={"open"}))
        add(CaseSpec(self.item("SCJ", "特种设备"), "special"))
        add(CaseSpec(self.item("SCJ", "药品零售"), "extension", flags={"open"}))
        add(CaseSpec(self.item("ZRJ", "建设工程规划许可"), "extension"))
        add(CaseSpec(self.item("SCJ", "食品经营许可"), "rejected", channel="online"))
        add(CaseSpec(self.item("ZJJ", "排水管网"), "rejected"))
        add(CaseSpec(self.item("CGZ", "宅基地"), "withdrawn"))
        add(CaseSpec(self.item("ZRJ", "建设用地规划"), "denied"))
        # 并联审批 (joint items): one in the parallel stage, the rest done
        add(CaseSpec(self.item("SCJ", "企业开办"), "progress", stage=0, flags={"parallel"}))
        for _n in range(4):
            add(CaseSpec(self.item("SCJ", "企业开办"), "done"))
        for _n in range(3):
            add(CaseSpec(self.item("ZRJ", "二手房"), "done"))
        # irregularities
        add(CaseSpec(self.item("SCJ", "食品经营许可"), "done", flags={"illegal_fee"}))
        add(CaseSpec(self.item("ZJJ", "燃气经营"), "done", flags={"skip_review"}))
        add(CaseSpec(self.item("CGZ", "宅基地"), "done", flags={"late_report"}))
        add(CaseSpec(self.item("ZRJ", "建设用地规划"), "done", flags={"backfill"}))
        # village agent (代办): agent_dongcun sends villagers' applications to the township and county halls
        agent_items = [i for i in self.by_dept["CGZ"] + self.by_dept["SCJ"] + self.by_dept["RSJ"]
                       if i.current_version.online and i.current_version.handling_type != HandlingType.REPORT]
        for _n in range(6):
            add(CaseSpec(rng.choice(agent_items), "done", channel="agent", agent="agent_dongcun"))
        add(CaseSpec(self.item("CGZ", "宅基地"), "pending", channel="agent", agent="agent_dongcun"))
        add(CaseSpec(self.item("CGZ", "宅基地"), "progress", stage=0, channel="agent", agent="agent_dongcun"))

        # every other department has a little work in hand too
        for dept in sorted(self.by_dept):
            if dept in DEMO_DEPARTMENTS:
                continue
            promised = self.promised_items(dept)
            if promised:
                add(CaseSpec(rng.choice(promised), "progress",
                             stage=rng.randrange(len(self.work_stages(promised[0])))))

        # the bulk: finished cases, mostly on time
        target = 400
        weights = {d: WEIGHTS.get(d, DEFAULT_WEIGHT) for d in self.by_dept}
        depts = sorted(weights)
        while len(specs) < target:
            dept = rng.choices(depts, weights=[weights[d] for d in depts])[0]
            candidates = [i for i in self.by_dept[dept] if i.current_version.handling_type != HandlingType.REPORT]
            if not candidates:
                continue
            item = rng.choice(candidates)
            roll = rng.random()
            if rng.random() < WEAK.get(dept, 0.0):
                roll = 0.88 + rng.random() * 0.09  # late_yellow or late_red
            fate = ("done" if roll < 0.88 else "late_yellow" if roll < 0.94 else "late_red" if roll < 0.97
                    else "withdrawn" if roll < 0.985 else "denied")
            version = item.current_version
            if version.handling_type == HandlingType.INSTANT:
                fate = "done"
            channel = "window"
            if version.online and rng.random() < 0.22:
                channel = "online"
            add(CaseSpec(item, fate, channel=channel))
        return specs

    # --- one case ---

    def stages(self, item: Item) -> list[list[Step]]:
        out: list[list[Step]] = []
        groups: dict[str, list[Step]] = {}
        for s in self.steps.get(item.current_version_id, []):
            if s.parallel_group:
                if s.parallel_group in groups:
                    groups[s.parallel_group].append(s)
                    continue
                groups[s.parallel_group] = [s]
                out.append(groups[s.parallel_group])
            else:
                out.append([s])
        return out

    def work_stages(self, item: Item) -> list[list[Step]]:
        """The stages after the window's acceptance up to the (own department's) decision stage."""
        stages = self.stages(item)
        if stages and all(s.post == Post.ACCEPTOR for s in stages[0]):
            stages = stages[1:]
        for k, stage in enumerate(stages):
            if any(s.post == Post.DECIDER and s.department_id is None for s in stage):
                return stages[: k + 1]
        return stages

    def positions(self, item: Item, total: float) -> list[float]:
        """Cumulative completion positions (working days after acceptance) of the work stages.

        Within the configured step days the time is shared in proportion to them (a 0-day step is done the
        moment it starts); time beyond them (a late case) goes to one slow stage, as it does in real life."""
        stages = self.work_stages(item)
        days = [max(s.days for s in st) for st in stages]
        budget = sum(days) * 0.95
        share = min(total, budget)
        excess = total - share
        weights = [d * self.rng.uniform(0.85, 1.15) for d in days]
        if not any(weights):
            weights = [1.0] * len(stages)
        slow = self.rng.choice([k for k, d in enumerate(days) if d] or [len(stages) - 1])
        out, acc = [], 0.0
        for k, w in enumerate(weights):
            acc += share * w / sum(weights) + (excess if k == slow else 0.0)
            out.append(acc)
        return out

    def fees(self, version) -> list:
        if not hasattr(self, "_fees"):
            self._fees: dict[int, list] = {}
            for fee in Fee.objects.filter(version_id__in=[i.current_version_id for i in self.items.values()]) \
                    .order_by("id"):
                self._fees.setdefault(fee.version_id, []).append(fee)
        return self._fees.get(version.pk, [])

    def materials(self, version) -> list[str]:
        return list(version.materials.order_by("order").values_list("name", flat=True))

    def plan_case(self, spec: CaseSpec) -> None:  # noqa: C901 - one readable script per fate
        rng, item = self.rng, spec.item
        version = item.current_version
        dept = item.department.code
        promised = max(version.promised_days, 0)
        statutory = max(version.statutory_days, promised)
        instant = version.handling_type == HandlingType.INSTANT or promised == 0
        stages = self.work_stages(item)
        fate = spec.fate

        # total working days from acceptance to decision, and where ``now`` falls (None: all in the past)
        x_now = None
        if instant:
            total = 0.0
        elif fate in ("late_yellow",) and statutory - promised >= 2:
            total = promised + rng.uniform(1.1, statutory - promised - 0.3)
        elif fate in ("late_yellow", "late_red"):
            total = statutory + rng.uniform(1.2, 3.5)
        elif fate == "overdue":
            if "warning" in spec.flags:
                x_now = max(promised - 0.6, 0.5)
            elif "yellow" in spec.flags:
                x_now = promised + min(1.5, max(statutory - promised - 0.5, 1.1))
            else:
                x_now = statutory + (7.5 if "order" in spec.flags else 2.5)
            total = x_now + rng.uniform(0.6, 2.0)
        else:
            total = max(promised * rng.uniform(0.25, 0.7), 0.25)
        pos = self.positions(item, total) if stages else []
        if fate == "progress" and stages:
            k = min(spec.stage or 0, len(stages) - 1)
            lo = pos[k - 1] if k else 0.05
            x_now = lo + (pos[k] - lo) * rng.uniform(0.15, 0.8)
            if "parallel" in spec.flags:
                x_now = pos[k] - 0.01
        elif fate == "await_delivery":
            x_now = total + rng.uniform(0.1, 0.6)
        elif fate == "late_delivery":
            x_now = total + 5.2
        elif fate == "extension" and "open" in spec.flags:
            total = promised + 3.2
            pos = self.positions(item, total)
            x_now = promised + 1.6

        # the acceptance instant
        pending = fate in ("pending", "correction_pre")
        if fate in ("special", "correction_review") and "open" in spec.flags:
            x_now = (pos[0] if pos else 1.0) + 2.0
        if pending:
            accepted_at = None
            submitted_at = self.cal.subtract_working_seconds(self.now, int(rng.uniform(0.1, 0.6) * self.spd))
            if fate == "correction_pre":
                submitted_at = self.cal.subtract_working_seconds(self.now, int(rng.uniform(1.2, 1.8) * self.spd))
        else:
            if x_now is not None:
                accepted_at = self.cal.subtract_working_seconds(self.now, int(x_now * self.spd))
            else:
                span = total + 2.5 + (4 if fate in ("special", "correction_review", "extension") else 0)
                latest = self.cal.subtract_working_seconds(self.now, int(span * self.spd))
                days = [d for d in self.workdays if self.cal.open_of_day(d) < latest - timedelta(hours=8)]
                days = days or self.workdays[:3]  # a very long limit: as early as the period allows
                accepted_at = self.random_instant(days)
                if fate == "done" and "backfill" in spec.flags:
                    accepted_at = self.random_instant(days[-20:])
            if spec.channel == "window":
                submitted_at = accepted_at - timedelta(minutes=rng.randrange(6, 40))
            else:
                submitted_at = self.cal.subtract_working_seconds(accepted_at,
                                                                 int(rng.uniform(0.15, 1.2) * self.spd))

        region = self.depts[dept].region.code
        case_no = next_case_no(region, timezone.localtime(submitted_at).date())
        self.case_nos[case_no] = spec
        ev: list[Planned] = []
        clerk = self.staff(Post.ACCEPTOR, dept)

        # submission
        org = item.item_type == "01" and rng.random() < 0.7
        if org:
            applicant = {"type": "organisation", "name": rng.choice(COMPANIES).format(rng.choice(FIRMS)),
                         "id_no": self.credit_code()}
        else:
            applicant = {"type": "person", "name": self.person(), "id_no": self.id_no()}
        channel = spec.channel if (spec.channel != "online" or version.online) else "window"
        submitter = {"window": clerk, "online": "", "agent": spec.agent}[channel]
        ev.append(Planned(submitted_at, EventType.SUBMITTED, submitter,
                          {"applicant": applicant, "channel": channel}, first=True))
        self._case_fields = self.case_fields(dept, channel, spec.agent)

        def window_accept(at: datetime) -> None:
            ev.append(Planned(at, EventType.ACCEPTED, clerk))
            for s in self.stages(item)[0]:
                if s.post == Post.ACCEPTOR:
                    ev.append(Planned(at, EventType.STEP_COMPLETED, clerk,
                                      {"step": s.code, "outcome": "pass", "opinion": "予以受理"}))
            for fee in self.fees(version):
                ev.append(Planned(at + timedelta(minutes=4), EventType.FEE_CHARGED, clerk,
                                  {"fee_code": fee.code, "amount": f"{fee.amount:.2f}"}))
            if "illegal_fee" in spec.flags:
                ev.append(Planned(at + timedelta(minutes=5), EventType.FEE_CHARGED, clerk,
                                  {"fee_code": "ZXFWF", "amount": "200.00"}))

        if fate == "pending":
            self.emit(case_no, spec, ev)
            return
        if fate == "correction_pre":
            ev.append(Planned(self.wt(submitted_at, rng.uniform(0.2, 0.5)), EventType.CORRECTION_REQUESTED, clerk,
                              {"materials": self.materials(version)[:2] or ["申请书（签字页）"]}))
            self.emit(case_no, spec, ev)
            return
        if fate == "rejected":
            ev.append(Planned(self.wt(submitted_at, rng.uniform(0.1, 0.6)), EventType.REJECTED, clerk,
                              {"reason": rng.choice(REJECT_REASONS)}))
            self.emit(case_no, spec, ev)
            return

        window_accept(accepted_at)

        # a correction during review or a special procedure pushes the later work back by ``shift`` days
        shift, pause_at = 0.0, None
        extra: list[Planned] = []
        if fate == "correction_review" and stages:
            pause_at = pos[0] * 0.6
            reviewer = self.staff(stages[0][0].post, dept)
            extra.append(Planned(self.wt(accepted_at, pause_at), EventType.CORRECTION_REQUESTED, reviewer,
                                 {"materials": ["补充现场照片及平面布置说明"]}))
            shift = 1000.0 if "open" in spec.flags else 2.5
            extra.append(Planned(self.wt(accepted_at, pause_at + shift), EventType.CORRECTION_COMPLETED, clerk))
        if fate == "special" and stages:
            pause_at = pos[0] + 0.2
            handler = self.staff(Post.REVIEWER2 if len(stages) > 2 else Post.REVIEWER1, dept)
            reason, days = ("expert_review", 10) if "open" in spec.flags else ("inspection", 5)
            extra.append(Planned(self.wt(accepted_at, pause_at), EventType.SUSPENDED, handler,
                                 {"reason": reason, "workdays": days,
                                  "note": f"需{SPECIAL_LABEL[reason]}，{days}个工作日"}))
            shift = 1000.0 if "open" in spec.flags else 4.0
            extra.append(Planned(self.wt(accepted_at, pause_at + shift), EventType.RESUMED, handler,
                                 {"result": "检验合格，恢复办理"}))
        if fate == "extension":
            leader = self.staff(Post.LEADER, dept)
            at = self.wt(accepted_at, max(promised - 1.0, 0.5))
            extra.append(Planned(at, EventType.EXTENDED, leader,
                                 {"workdays": 5, "approver": self.name_of(leader),
                                  "reason": "需征求相关部门意见，申请延期5个工作日"}))
        ev.extend(extra)

        # work stages
        for k, stage in enumerate(stages):
            if fate == "withdrawn" and k >= 1:
                ev.append(Planned(self.wt(accepted_at, pos[0] + 0.3), EventType.WITHDRAWN, clerk,
                                  {"reason": "申请人书面申请撤回"}))
                break
            if "skip_review" in spec.flags and not any(s.post == Post.DECIDER for s in stage):
                continue
            lo = pos[k - 1] if k else 0.0
            for s in stage:
                done = pos[k] if (len(stage) == 1 or s is stage[-1]) else lo + (pos[k] - lo) * rng.uniform(0.4, 0.95)
                if "parallel" in spec.flags and s.department_id and s is stage[-1]:
                    done = pos[k] + 5  # the tax bureau has not answered yet
                if pause_at is not None and done > pause_at:
                    done += shift
                at = self.wt(accepted_at, done)
                step_dept = s.department.code if s.department_id else dept
                actor = self.staff(s.post, step_dept)
                if s.post == Post.DECIDER and s.department_id is None:
                    denied = fate == "denied"
                    ev.append(Planned(at, EventType.STEP_COMPLETED, actor,
                                      {"step": s.code, "outcome": "pass",
                                       "opinion": "不予许可" if denied else "准予许可"}))
                    payload = {"result": "denied" if denied else "approved", "document_no": self.document_no(item)}
                    if denied:
                        payload["reason"] = "申请用地不符合国土空间规划确定的用途，依法不予许可"
                    ev.append(Planned(at, EventType.DECIDED, actor, payload))
                    deliver_after = 5.2 if fate == "late_delivery" else rng.uniform(0.05, 1.2)
                    if fate in ("await_delivery", "late_delivery"):
                        deliver_after = 1000.0
                    notifier = self.staff(Post.NOTIFIER, dept)
                    method = "online" if channel == "online" else rng.choice(("window", "window", "mail"))
                    ev.append(Planned(self.wt(at, deliver_after), EventType.DELIVERED, notifier,
                                      {"method": method},
                                      delay=timedelta(hours=50) if "late_report" in spec.flags else None))
                else:
                    ev.append(Planned(at, EventType.STEP_COMPLETED, actor,
                                      {"step": s.code, "outcome": "pass", "opinion": rng.choice(OPINIONS)}))
        if instant:  # 即办件: accepted, every step, decided and delivered in one go at the window
            for p in ev:
                if p.type in (EventType.STEP_COMPLETED, EventType.DECIDED, EventType.DELIVERED,
                              EventType.FEE_CHARGED):
                    p.at = accepted_at
        if "backfill" in spec.flags:  # the whole case typed in afterwards, in a few minutes (先批后录)
            for i, p in enumerate(sorted(ev, key=lambda p: p.at)):
                p.at = submitted_at + timedelta(minutes=i)
        self.emit(case_no, spec, ev)

    def case_fields(self, dept: str, channel: str, agent: str) -> dict:
        hall_name = demo.COUNTY_HALL
        for _code, name, tdept, _v in demo.TOWNSHIPS:
            if tdept == dept:
                hall_name = f"{name}便民服务大厅"
        fields: dict[str, Any] = {"channel": channel, "applicant_phone": self.phone()}
        if channel in ("window", "agent") and (hall := self.halls.get(hall_name)):
            fields["hall_id"] = hall.pk
        if channel == "agent" and (u := self.user(agent)):
            fields["agent_id"] = u.pk
        return fields

    def emit(self, case_no: str, spec: CaseSpec, planned: list[Planned]) -> None:
        limit = self.now - SAFETY
        planned = sorted((p for p in planned if p.at <= limit), key=lambda p: p.at)
        item = spec.item
        backfill = "backfill" in spec.flags
        version = item.current_version
        instant = version.handling_type == HandlingType.INSTANT or version.promised_days <= 0
        for n, p in enumerate(planned):
            actor, acting_for = p.actor, ""
            if actor == "reviewer_zjj" and self.away and self.away[0] <= p.at <= self.away[1]:
                actor, acting_for = "reviewer2_zjj", "reviewer_zjj"  # the B岗 acts this week
            kwargs: dict[str, Any] = {}
            if p.first:
                kwargs = {"item_code": item.code, "department_code": item.department.code,
                          "case_fields": self._case_fields}
            event = NewEvent(
                case_no=case_no, type=p.type, occurred_at=p.at, event_id=f"{EVENT_PREFIX}{case_no}-{n:02d}",
                actor_id=actor, actor_name=self.name_of(actor) if actor else
                (p.payload.get("applicant") or {}).get("name", "申请人"),
                acting_for=acting_for, payload=p.payload, **kwargs)
            reported = planned[-1].at + timedelta(minutes=5) if backfill else p.at + (p.delay or timedelta(0))
            report_by = reported + (timedelta(minutes=20) if instant else BATCH_SPAN)
            self.schedule(reported, ("event", event, backfill, report_by))

    # --- feedback ---

    def plan_feedback(self) -> None:
        from xiaoneng.feedback import services as fb
        from xiaoneng.feedback.models import CallbackResult, ComplaintResult, ComplaintTarget, ComplaintType

        rng = self.rng
        recent = self.workdays[-3:]
        earlier = self.workdays[:-4]
        questions = [
            ("SCJ", "食品经营许可", "小餐馆只卖外卖，需要办理食品经营许可吗？", "需要。仅从事网络餐饮服务的也应取得食品经营许可，可在网上申办。"),
            ("SCJ", "个体工商户", "个体工商户登记可以全程网上办吗？要多久？", "可以全程网办，材料齐全的当场（即时）办结。"),
            ("ZJJ", "施工许可", "施工许可证申请需要先办规划许可吗？", "需要。建设工程规划许可证是施工许可的前置材料。"),
            ("ZJJ", "消防验收", "消防验收的竣工图纸要盖什么章？", "需加盖设计单位出图章和施工单位竣工图章。"),
            ("CGZ", "宅基地", "农村宅基地审批需要村民小组同意吗？", "需要，申请材料中包括村民小组意见。"),
            ("CGZ", "生育登记", "生育登记可以在村里代办吗？", "可以，由村代办员代为申报，无需本人跑镇里。"),
            ("ZRJ", "不动产转移", "二手房过户能和缴税一起办吗？", "可以，办理“二手房转移登记及缴税一件事”，一窗受理。"),
            ("RSJ", "失业保险金", "失业保险金申领需要开具离职证明吗？", "需要终止或解除劳动合同证明，可由单位出具。"),
            ("GAJ", "户口迁移", "投靠子女落户需要哪些材料？", "户口迁移申请表、户口簿、身份证及迁入地住所证明。"),
            ("WJJ", "公共场所卫生许可", "美容店需要办理公共场所卫生许可吗？", "美容店属于公共场所，应当办理卫生许可。"),
        ]
        for n, (dept, part, question, answer) in enumerate(questions):
            item = self.item(dept, part)
            pending = n in (2, 7)
            at = self.random_instant(recent if pending else earlier)
            consent = rng.random() < 0.7
            holder: dict[str, Any] = {}

            def submit(at=at, item=item, question=question, consent=consent, holder=holder):
                holder["c"] = fb.submit_consultation(department=item.department, item=item, question=question,
                                                     asker_name=self.person(), phone=self.phone(),
                                                     publish_consent=consent, now=at)
                self.stats.consultations += 1

            self.schedule(at, ("call", submit))
            if not pending:
                late = n == 5
                reply_at = self.wt(at, rng.uniform(4.2, 5.0) if late else rng.uniform(0.2, 2.0))

                def reply(at=reply_at, dept=dept, answer=answer, consent=consent, holder=holder):
                    fb.reply_consultation(holder["c"], user=self.user(self.staff(Post.ACCEPTOR, dept)),
                                          reply=answer, publish=consent, now=at)

                self.schedule(reply_at, ("call", reply))

        # complaints: one about a case (with its query code), one on fees, one declined, one still waiting
        def complaint(kind, target, text, at, steps, case_role=None, dept=None, window=False):
            holder: dict[str, Any] = {}

            def submit():
                kwargs: dict[str, Any] = {}
                if case_role:
                    case = Case.objects.get(case_no=self.marked[case_role])
                    kwargs.update(case_no=case.case_no, query_code=case.query_code)
                if dept:
                    kwargs["target_department"] = self.depts[dept]
                if window:
                    from xiaoneng.org.models import Window

                    kwargs["window"] = Window.objects.filter(hall__name=demo.COUNTY_HALL, number="18").first()
                holder["c"] = fb.submit_complaint(type=kind, target=target, description=text, phone=self.phone(),
                                                  complainant_name=self.person(), now=at, **kwargs)
                self.stats.complaints += 1

            self.schedule(at, ("call", submit))
            for offset, action in steps:
                when = self.wt(at, offset)

                def act(action=action, when=when):
                    c = holder["c"]
                    handler = self.handler_for(c.department.code)
                    if action == "accept":
                        fb.accept_complaint(c, user=handler, assignee=handler, note="已受理，转承办人核查", now=when)
                    elif action == "investigate":
                        fb.investigate_complaint(c, user=handler, note="调取办件记录、约谈窗口人员", now=when)
                    elif action == "decline":
                        fb.decline_complaint(c, user=handler, reason="反映事项属于民事纠纷，不属于政务服务投诉受理范围，"
                                                                     "已告知通过诉讼途径解决", now=when)
                    else:
                        fb.resolve_complaint(c, user=handler, result=action, now=when,
                                             reply="经核查，窗口人员解释不够耐心，已批评教育并在科室通报，"
                                                   "感谢您的监督。")
                    holder["c"] = c.__class__.objects.get(pk=c.pk)

                self.schedule(when, ("call", act))

        self.complaint_case_role = "complained"
        late_days = self.workdays[-30:-20]
        complaint(ComplaintType.ATTITUDE, ComplaintTarget.CASE, "办理食品经营许可时窗口人员态度生硬，多次让我回去补材料。",
                  self.random_instant(late_days), [(0.5, "accept"), (1.5, "investigate"),
                                                   (4.0, ComplaintResult.PARTLY)], case_role="complained")
        complaint(ComplaintType.FEES, ComplaintTarget.DEPARTMENT, "办理食品经营许可时被收取200元“咨询服务费”，没有收费依据。",
                  self.random_instant(self.workdays[-15:-10]), [(1.0, "accept"), (3.0, ComplaintResult.SUBSTANTIATED)],
                  dept="SCJ")
        complaint(ComplaintType.OTHER, ComplaintTarget.DEPARTMENT, "邻居建房占了我家的路，请政府处理。",
                  self.random_instant(self.workdays[-40:-30]), [(1.0, "decline")], dept="CGZ")
        complaint(ComplaintType.ATTITUDE, ComplaintTarget.WINDOW, "18号窗口午休前半小时就不受理了。",
                  self.random_instant(recent), [], window=True)

        # ratings on finished cases: scheduled when the cases are known (after planning), see replay
        self.rating_plan = {"bad_done": None, "bad_open": None}
        self.CallbackResult = CallbackResult

    def handler_for(self, dept_code: str) -> User:
        for username in (self.staff(Post.DEPT_ADMIN, dept_code), self.staff(Post.LEADER, dept_code),
                         "centre_admin" if dept_code == demo.SERVICE_CENTRE else "supervisor"):
            if username in self.users:
                return self.users[username]
        return next(u for u in self.users.values() if u.department_id == self.depts[dept_code].pk)

    def plan_ratings(self, delivered: list[tuple[str, datetime]]) -> None:
        """Ratings after delivery on about half of the delivered cases; two 差评."""
        from xiaoneng.feedback import services as fb
        from xiaoneng.feedback.models import RatingChannel

        rng = self.rng
        comments = {5: ["办事效率高，一次就办好了", "窗口人员很耐心", "网上办很方便，不用跑腿", ""],
                    4: ["总体满意", "等候时间略长", ""], 3: ["材料要求没有一次说清楚", "排队时间长"]}
        bad = [(no, at) for no, at in delivered if self.case_nos[no].item.department.code == "SCJ"]
        bad_done = bad[len(bad) // 3] if bad else None
        bad_open = max(delivered, key=lambda d: d[1]) if delivered else None
        for case_no, delivered_at in delivered:
            if (case_no, delivered_at) in (bad_done, bad_open):
                level = 2 if (case_no, delivered_at) == bad_done else 1
            elif rng.random() < 0.5:
                continue
            else:
                level = rng.choices((5, 4, 3), weights=(70, 24, 6))[0]
            rated_at = delivered_at + timedelta(minutes=rng.randrange(2, 600))
            if rated_at > self.now - SAFETY:
                continue
            spec = self.case_nos[case_no]
            channel = RatingChannel.ONLINE if spec.channel == "online" else rng.choice(
                (RatingChannel.DEVICE, RatingChannel.DEVICE, RatingChannel.WINDOW))
            comment = ("审批拖了很久，打电话问也说不清楚进度" if level == 2 else
                       "跑了两趟才办成，窗口说法前后不一致" if level == 1 else rng.choice(comments[level]))
            holder: dict[str, Any] = {}

            def rate(case_no=case_no, channel=channel, level=level, comment=comment, at=rated_at, holder=holder):
                case = Case.objects.get(case_no=case_no)
                holder["r"] = fb.submit_rating(case=case, channel=channel, level=level, comment=comment,
                                               phone=self.phone(), now=at,
                                               scores={"attitude": level, "efficiency": level})
                self.stats.ratings += 1

            self.schedule(rated_at, ("call", rate, case_no))
            if (case_no, delivered_at) == bad_done:
                dept = spec.item.department.code
                steps = [(0.8, "verify"), (2.5, "rectify"), (3.5, "callback")]
                for offset, action in steps:
                    when = self.wt(rated_at, offset)
                    if when > self.now - SAFETY:
                        break

                    def act(action=action, when=when, holder=holder, dept=dept):
                        r = holder["r"]
                        if action == "verify":
                            r = fb.verify_rating(r, user=self.users[self.staff(Post.LEADER, dept)], now=when,
                                                 verification="经核实，该件在复审环节等待时间较长，未及时告知申请人进度。")
                        elif action == "rectify":
                            r = fb.rectify_rating(r, user=self.users[self.staff(Post.SECTION_CHIEF, dept)], now=when,
                                                  rectification="建立办件进度主动告知制度，复审环节超过2个工作日电话告知申请人。")
                        else:
                            r = fb.callback_rating(r, user=self.users["centre_admin"], now=when,
                                                   result=self.CallbackResult.SATISFIED, note="电话回访，申请人表示认可整改。")
                        holder["r"] = r

                    self.schedule(when, ("call", act))

    # --- replay ---

    def replay(self) -> None:
        """Record the planned events in time order, in batches reported when they happened."""
        # ratings need the delivery times: they are known now (the plan is complete)
        delivered = sorted(((t[2][1].case_no, t[2][1].occurred_at) for t in self.timeline
                            if isinstance(t[2], tuple) and t[2][0] == "event" and t[2][1].type == EventType.DELIVERED),
                           key=lambda d: d[1])
        # the case a complaint is about: an on-time SCJ food licence delivered about a month ago
        window = [no for no, at in delivered if self.case_nos[no].item.name == "食品经营许可"
                  and self.now - timedelta(days=50) < at < self.now - timedelta(days=40)]
        if not window:
            window = [no for no, _at in delivered if self.case_nos[no].item.department.code == "SCJ"]
        self.marked["complained"] = window[0]
        self.plan_ratings(delivered)

        self.timeline.sort(key=lambda t: (t[0], t[1]))
        batch: list[NewEvent] = []
        batch_by: datetime | None = None  # the batch must be reported by then
        batch_end: datetime | None = None
        batch_case = ""  # a back-filled case is recorded in a batch of its own

        def flush() -> None:
            nonlocal batch, batch_by, batch_end, batch_case
            if batch:
                results = record_events(batch, received_at=batch_end)
                rejected = [r for r in results if r.status == "rejected"]
                if rejected:
                    raise RuntimeError(f"demo activity: event rejected: {rejected[0]}")
                self.stats.events += len(batch)
                self.stats.batches += 1
            batch, batch_by, batch_end, batch_case = [], None, None, ""

        from xiaoneng.supervision import services as supervision

        for at, _order, thing in self.timeline:
            kind = thing[0]
            if kind == "event":
                event, own, report_by = thing[1], thing[2], thing[3]
                own_case = event.case_no if own else ""
                if batch and (own_case != batch_case or at > batch_by):
                    flush()
                if not batch:
                    batch_case = own_case
                batch.append(event)
                batch_end = at
                batch_by = min(batch_by or report_by, report_by)
            elif kind == "sweep":
                flush()
                supervision.sweep(now=thing[1])
            else:
                needs = thing[2] if len(thing) > 2 else None  # a call that reads one case: flush only for it
                if needs is None or any(e.case_no == needs for e in batch):
                    flush()
                thing[1]()
        flush()
        self.stats.cases = Case.objects.filter(case_no__in=list(self.case_nos)).count()

    # --- supervision: appeal + revoke, an order closed with accountability ---

    def supervise(self) -> None:
        from xiaoneng.supervision import services as supervision
        from xiaoneng.supervision.models import Alert, AlertStatus

        supervisor = self.users.get("supervisor")
        if supervisor is None:
            return
        # 销号: the supervisors have closed the cards of finished cases older than a week
        finished = (CaseStatus.DELIVERED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN)
        old = Alert.objects.filter(case__case_no__in=list(self.case_nos), case__status__in=finished,
                                   status=AlertStatus.ISSUED, raised_at__lt=self.now - timedelta(days=7))
        for card in old.order_by("raised_at", "pk"):
            supervision.transition(card, "close", supervisor, "办件已办结，已核实原因，予以销号。")
        ours = Alert.objects.filter(case__case_no__in=list(self.case_nos), status=AlertStatus.ISSUED)
        # SCJ appeals a step-time card; the supervisor accepts the explanation and revokes it
        card = ours.filter(department__code="SCJ", rule="step_limit", level="yellow").order_by("raised_at", "pk").first()
        if card is not None:
            leader = self.users[self.staff(Post.LEADER, "SCJ")]
            card = supervision.transition(card, "appeal", leader,
                                          "该环节期间申请人主动要求暂缓审查（有书面申请），超时非本部门原因，申请撤销。")
            supervision.transition(card, "revoke", supervisor, "经核实申请人书面申请属实，同意撤销。")
        # ZJJ's red card: a supervision order, the department's reply, closed with accountability
        red = ours.filter(department__code="ZJJ", rule="case_limit", level="red").order_by("raised_at").first()
        if red is None:
            return
        issued = max(self.cal.subtract_working_seconds(self.now, int(4.5 * self.spd)), red.raised_at)
        order = supervision.issue_order(
            supervisor, department_id=red.department_id, alert=red, reply_days=3, now=issued,
            instructions="该件已超过法定办理时限，请于3个工作日内查明超期原因、提出整改措施并书面反馈。")
        leader = self.users[self.staff(Post.LEADER, "ZJJ")]
        replied = self.wt(issued, 1.6)
        order = supervision.reply_order(order, leader, now=replied,
                                        reply="经查，初审人员休假期间B岗未及时签收，导致超期。已督促当日办理，并完善B岗交接制度。")
        closed = self.wt(replied, 1.2)
        reviewer = self.users.get(self.staff(Post.REVIEWER1, "ZJJ"))
        supervision.close_order(order, supervisor, corrected=False, now=min(closed, self.now - SAFETY),
                                conclusion="超期属实，对责任人予以问责，部门完善AB岗制度。",
                                accountabilities=[{"person": reviewer, "person_name": reviewer.display_name
                                                   if reviewer else "初审人员", "step": "review1",
                                                   "measure": "批评教育，责令作出书面检查"}])

    # --- evaluation ---

    def evaluate(self) -> None:
        from xiaoneng.evaluation import services as evaluation

        today = timezone.localtime(self.now).date()
        last = evaluation.previous_month_key(today)
        y, m = int(last[:4]), int(last[5:])
        before = f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"
        admin = self.users.get("admin") or User.objects.filter(username="admin").first()
        for key in (before, last):
            scores = evaluation.evaluate_period(key, as_of=self.now)
            evaluation.publish_period(evaluation.get_period(key), user=admin)
            self.stats.scores += len(scores)
