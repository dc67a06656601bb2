"""Cases (办件) and their append-only, hash-chained event log.

The event log is the truth. ``Case`` and ``CaseStep`` rows are projections derived from the events by
``cases.services.record_events`` (the single write path) and ``cases.clock.compute_clock``; nothing else
writes them. Every case-scoped table carries ``region_code`` so that it can be distributed by region later.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.catalog.models import Item, ItemVersion
from xiaoneng.org.models import Department, Hall


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口")
    ONLINE = "online", _("网上")
    AGENT = "agent", _("代办")


class ApplicantType(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("法人或其他组织")


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已申报")
    CORRECTION = "correction", _("补正中")
    ACCEPTED = "accepted", _("办理中")
    SUSPENDED = "suspended", _("特别程序")
    DECIDED = "decided", _("已办结")
    DELIVERED = "delivered", _("已送达")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")
    RETURNED = "returned", _("已退件")


OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.CORRECTION, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)


class ClockState(models.TextChoices):
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("预警")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")
    SUSPENDED = "suspended", _("暂停计时")
    DONE = "done", _("已完成")


class EventType(models.TextChoices):
    SUBMITTED = "submitted", _("申办")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    CORRECTION_REQUESTED = "correction_requested", _("补正告知")
    CORRECTION_COMPLETED = "correction_completed", _("补正受理")
    STEP_COMPLETED = "step_completed", _("环节办理")
    SUSPENDED = "suspended", _("特别程序开始")
    RESUMED = "resumed", _("特别程序结束")
    EXTENDED = "extended", _("延期")
    FEE_CHARGED = "fee_charged", _("收费")
    DECIDED = "decided", _("办结")
    DELIVERED = "delivered", _("送达")
    WITHDRAWN = "withdrawn", _("撤回")
    RETURNED = "returned", _("退件")
    FORWARDED = "forwarded", _("转报")


class Case(models.Model):
    case_no = models.CharField(_("办件编号"), max_length=64, unique=True)
    region_code = models.CharField(_("区划代码"), max_length=12)
    # Indexed by the (department, …) composites below.
    department = models.ForeignKey(Department, models.PROTECT, related_name="cases", verbose_name=_("办理部门"),
                                   db_index=False)
    item = models.ForeignKey(Item, models.PROTECT, related_name="cases", verbose_name=_("事项"))
    item_version = models.ForeignKey(ItemVersion, models.PROTECT, related_name="cases", verbose_name=_("事项版本"))
    source_system = models.CharField(_("来源系统"), max_length=64, blank=True,
                                      help_text=_("空：本平台审批工作台"))
    channel = models.CharField(_("申报渠道"), max_length=16, choices=Channel.choices, default=Channel.WINDOW)
    # hall, applicant_user, agent: NULL for every case reported by another system, so their indexes are partial
    # (see Meta) — a NULL costs no index entry on each insert and update.
    hall = models.ForeignKey(Hall, models.SET_NULL, null=True, blank=True, related_name="cases",
                             verbose_name=_("受理大厅"), db_index=False)
    applicant_type = models.CharField(_("申请人类型"), max_length=16, choices=ApplicantType.choices,
                                      default=ApplicantType.PERSON)
    applicant_name = models.CharField(_("申请人"), max_length=128, blank=True)
    applicant_id_cipher = models.TextField(_("证件号码（密文）"), blank=True)
    applicant_id_masked = models.CharField(_("证件号码（脱敏）"), max_length=32, blank=True)
    applicant_phone_cipher = models.TextField(_("联系电话（密文）"), blank=True)
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                       related_name="applications", verbose_name=_("网上申请人账号"),
                                       db_index=False)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="agent_cases", verbose_name=_("代办员"), db_index=False)
    query_code = models.CharField(_("查询码"), max_length=16, blank=True)
    rating_code = models.CharField(_("评价码"), max_length=16, blank=True)

    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED)
    result = models.CharField(_("办理结果"), max_length=16, blank=True)
    document_no = models.CharField(_("文书编号"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("申报时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("终结时间"), null=True, blank=True)

    # The clock, derived from the events (cases.clock.compute_clock); see domain-rules §2.
    elapsed_seconds = models.BigIntegerField(_("已用工作时间（秒）"), default=0)
    suspended_seconds = models.BigIntegerField(_("扣除时间（秒）"), default=0)
    extended_days = models.PositiveIntegerField(_("延期天数"), default=0)
    promised_due = models.DateTimeField(_("承诺时限到期"), null=True, blank=True)
    statutory_due = models.DateTimeField(_("法定时限到期"), null=True, blank=True)
    clock_state = models.CharField(_("计时状态"), max_length=16, choices=ClockState.choices,
                                   default=ClockState.NORMAL)
    calendar_confirmed = models.BooleanField(_("日历已确认"), default=True)
    next_check_at = models.DateTimeField(_("下次检查时间"), null=True, blank=True)
    clock = models.JSONField(_("计时明细"), default=dict, blank=True)
    # Every live time-rule threshold [{"rule", "level", "step", "at"}]: the sweep raises the passed ones.
    deadlines = models.JSONField(_("时限节点"), default=list, blank=True)

    event_count = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("办件")
        indexes = [
            models.Index(fields=["next_check_at"], name="case_next_check",
                         condition=models.Q(next_check_at__isnull=False)),
            models.Index(fields=["department", "status"], name="case_dept_status"),
            models.Index(fields=["department", "submitted_at"], name="case_dept_submitted"),
            models.Index(fields=["department", "decided_at"], name="case_dept_decided"),
            # Plain b-trees: exact and IN lookups only (no LIKE), so no ``varchar_pattern_ops`` twin.
            models.Index(fields=["region_code"], name="case_region"),
            models.Index(fields=["rating_code"], name="case_rating_code"),
            models.Index(fields=["hall"], name="case_hall", condition=models.Q(hall__isnull=False)),
            models.Index(fields=["applicant_user"], name="case_applicant_user",
                         condition=models.Q(applicant_user__isnull=False)),
            models.Index(fields=["agent"], name="case_agent", condition=models.Q(agent__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.case_no

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """One entry of a case's append-only log. ``hash`` = SHA-256 over the canonical content and ``prev_hash``."""

    # Indexed by the (case, seq) constraint, which also serves a case's events in time order (a case has tens of
    # events: sorted after the index lookup; a (case, occurred_at) index cost every event an index entry for it).
    case = models.ForeignKey(Case, models.PROTECT, related_name="events", verbose_name=_("办件"), db_index=False)
    region_code = models.CharField(max_length=12)
    # The case's department, copied so that per-department event statistics need no join with the cases
    # (evaluation scores 10M-case months). Not part of the hash: it is derived from the case.
    department = models.ForeignKey(Department, models.DO_NOTHING, related_name="+", db_constraint=False,
                                   db_index=False, verbose_name=_("办理部门"))
    seq = models.PositiveIntegerField(_("序号"))
    source_system = models.CharField(_("来源系统"), max_length=64, blank=True)
    event_id = models.CharField(_("事件标识"), max_length=64)
    type = models.CharField(_("类型"), max_length=32, choices=EventType.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    actor_id = models.CharField(_("经办人标识"), max_length=64, blank=True)
    actor_name = models.CharField(_("经办人"), max_length=64, blank=True)
    acting_for = models.CharField(_("代岗（A岗）"), max_length=64, blank=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    # Recorded by a bulk import of history (二次入录): reported after the fact by design, so the real-time
    # reporting rules (上报不及时, 先批后录) and the data-timeliness indicator leave it out. Part of the hash.
    backfilled = models.BooleanField(_("二次入录"), default=False, db_default=False)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = _("办件事件")
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="caseevent_unique_seq"),
            models.UniqueConstraint(fields=["source_system", "event_id"], name="caseevent_unique_event_id"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("case events are append-only")


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("未开始")
    ACTIVE = "active", _("办理中")
    DONE = "done", _("已完成")
    BY_DEFAULT = "by_default", _("超时默认")
    CANCELLED = "cancelled", _("已终止")


class CaseStep(models.Model):
    """Projection of one process step of a case, for inboxes (待办) and step supervision."""

    # Indexed by casestep_unique_code (case, code) and casestep_inbox (department, …): no single-column twins.
    case = models.ForeignKey(Case, models.CASCADE, related_name="steps", verbose_name=_("办件"), db_index=False)
    region_code = models.CharField(max_length=12)
    order = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("环节编码"), max_length=32)
    name = models.CharField(_("环节名称"), max_length=64)
    post = models.CharField(_("岗位"), max_length=16)
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("办理部门"),
                                   db_index=False)
    parallel_group = models.CharField(max_length=16, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=StepStatus.choices, default=StepStatus.WAITING)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    due = models.DateTimeField(_("环节到期"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    actor_name = models.CharField(_("经办人"), max_length=64, blank=True)
    outcome = models.CharField(_("意见"), max_length=16, blank=True)
    # NULL unless a clerk claimed the step in the workbench (always NULL for cases from other systems): a partial
    # index (see Meta), no entry per step insert.
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("签收人"), db_index=False)

    class Meta:
        verbose_name = verbose_name_plural = _("办件环节")
        ordering = ["case", "order"]
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="casestep_unique_code")]
        indexes = [
            models.Index(fields=["department", "post", "status", "due"], name="casestep_inbox"),
            models.Index(fields=["claimed_by"], name="casestep_claimed_by",
                         condition=models.Q(claimed_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.code}"


class ChainDigest(models.Model):
    """A daily digest over all case chains (每日存证): the hash of every event hash received that day."""

    day = models.DateField(_("日期"), unique=True)
    event_count = models.PositiveIntegerField(_("事件数"))
    digest = models.CharField(_("摘要"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("每日存证摘要")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.digest[:12]}"


class CaseNumberCounter(models.Model):
    """Per region and day sequence behind built-in case numbers (region code + YYYYMMDD + 6 digits)."""

    region_code = models.CharField(_("区划代码"), max_length=12)
    day = models.DateField(_("日期"))
    last = models.PositiveIntegerField(_("已用序号"), default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("办件编号计数器")
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="casenumber_unique_day")]

    def __str__(self) -> str:
        return f"{self.region_code}{self.day:%Y%m%d}:{self.last}"
