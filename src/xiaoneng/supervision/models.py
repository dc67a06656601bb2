"""Electronic supervision (电子监察): rule configuration, alerts (预警 / 黄牌 / 红牌 / 违规), their lifecycle,
supervision orders (督办单 → 反馈 → 纠错 / 问责), notifications and the pre-aggregated wall statistics.

Nothing here is ever deleted: every status change of an alert or an order is an ``AlertTransition`` row.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Department


class Level(models.TextChoices):
    WARNING = "warning", _("预警")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


LEVEL_RANK = {"warning": 1, "yellow": 2, "red": 3}


class RuleKind(models.TextChoices):
    TIME = "time", _("时限规则")
    IRREGULARITY = "irregularity", _("违规规则")


class IssueMode(models.TextChoices):
    AUTO = "auto", _("自动发出（已发）")
    CONFIRM = "confirm", _("监察员确认（待发）")


class RuleConfig(models.Model):
    """One rule of domain-rules §3 with its editable settings (seeded by a data migration).

    ``thresholds`` for time rules: ``{"warning": {"anchor": "promised", "days": -2}, "yellow": …, "red": …}``
    (anchors as in ``cases.clock.Threshold``: start / promised / statutory / due; a missing level is off).
    For irregularities it holds the rule's parameters (``late_report``: ``{"hours": 24}``; ``off_system``:
    ``{"minutes": 30}``). ``escalation_days``: working days between the rungs of the ladder officer →
    section chief → department leader, e.g. ``[1, 2]``.
    """

    code = models.CharField(_("规则编码"), max_length=32, unique=True)
    name = models.CharField(_("规则名称"), max_length=64)
    kind = models.CharField(_("类别"), max_length=16, choices=RuleKind.choices)
    subject_type = models.CharField(_("监察对象"), max_length=16, default="case")
    default_level = models.CharField(_("默认等级"), max_length=8, choices=Level.choices, blank=True)
    thresholds = models.JSONField(_("阈值 / 参数"), default=dict, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    issue_mode = models.CharField(_("发出方式"), max_length=8, choices=IssueMode.choices, default=IssueMode.AUTO)
    escalation_days = models.JSONField(_("逐级升级间隔（工作日）"), default=list, blank=True)
    description = models.TextField(_("说明"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("监察规则")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RuleOverride(models.Model):
    """A per-department or per-item setting that beats the rule's own (item beats department beats rule).

    ``thresholds`` overrides the listed levels only (``{"yellow": {"anchor": "promised", "days": 1}}``; a level
    mapped to ``null`` switches that level off); ``enabled`` / ``issue_mode`` when set.
    """

    rule = models.ForeignKey(RuleConfig, models.CASCADE, related_name="overrides", verbose_name=_("规则"))
    department = models.ForeignKey(Department, models.CASCADE, null=True, blank=True, related_name="+",
                                   verbose_name=_("部门"))
    item = models.ForeignKey("catalog.Item", models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("事项"))
    enabled = models.BooleanField(_("启用"), null=True, blank=True)
    thresholds = models.JSONField(_("阈值"), default=dict, blank=True)
    issue_mode = models.CharField(_("发出方式"), max_length=8, choices=IssueMode.choices, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("规则个性化设置")
        constraints = [
            models.UniqueConstraint(fields=["rule", "department", "item"], name="ruleoverride_unique"),
            models.CheckConstraint(condition=models.Q(department__isnull=False) | models.Q(item__isnull=False),
                                   name="ruleoverride_has_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} · {self.item or self.department}"


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("待发")
    ISSUED = "issued", _("已发")
    DISMISSED = "dismissed", _("不予发出")
    APPEALED = "appealed", _("申诉中")
    REVOKED = "revoked", _("已撤销")
    APPEAL_REJECTED = "appeal_rejected", _("申诉驳回")
    ESCALATED = "escalated", _("已上报")
    CLOSED = "closed", _("已办结")


class Alert(models.Model):
    """A card (预警 / 黄牌 / 红牌) raised once per (subject, step, rule, level)."""

    COUNTED_STATUSES = ("issued", "appealed", "appeal_rejected", "escalated", "closed")
    OPEN_STATUSES = ("pending", "issued", "appealed", "escalated")

    subject_type = models.CharField(_("监察对象类型"), max_length=16)
    subject_id = models.BigIntegerField(_("监察对象"))
    subject_no = models.CharField(_("对象编号"), max_length=64, blank=True)
    # No database constraint on case / department: both are copied from the subject row the card is raised
    # from (in the same statement), neither is ever deleted (PROTECT still guards ORM deletes), and the deferred
    # checks cost the sweep two look-ups per card at commit. Indexed by alert_case / alert_dept_status.
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="alerts",
                             verbose_name=_("办件"), db_constraint=False, db_index=False)
    department = models.ForeignKey(Department, models.PROTECT, related_name="alerts", verbose_name=_("责任部门"),
                                   db_constraint=False, db_index=False)
    region_code = models.CharField(_("区划代码"), max_length=12)
    step = models.CharField(_("环节"), max_length=32, blank=True, default="")
    rule = models.CharField(_("规则"), max_length=32)
    level = models.CharField(_("等级"), max_length=8, choices=Level.choices)
    due_at = models.DateTimeField(_("触发时间"))
    raised_at = models.DateTimeField(_("产生时间"))
    status = models.CharField(_("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.ISSUED)
    status_changed_at = models.DateTimeField(_("状态变更时间"))
    message = models.TextField(_("内容"), blank=True)
    # Escalation ladder: 0 nobody notified yet, 1 officer, 2 section chief, 3 department leader.
    escalation_level = models.PositiveSmallIntegerField(_("已通知层级"), default=0)
    next_escalation_at = models.DateTimeField(_("下次通知时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("预警纠错")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id", "step", "rule", "level"],
                                    name="alert_unique_card"),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="alert_dept_status"),
            models.Index(fields=["raised_at"], name="alert_raised"),
            models.Index(fields=["status_changed_at"], name="alert_changed"),
            models.Index(fields=["case", "raised_at"], name="alert_case"),
            models.Index(fields=["rule", "level", "due_at"], name="alert_rule_due"),
            models.Index(fields=["next_escalation_at"], name="alert_next_escalation",
                         condition=models.Q(next_escalation_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.subject_no or self.subject_id} {self.rule}/{self.level}"

    @property
    def counts(self) -> bool:
        return self.status in self.COUNTED_STATUSES

    @property
    def rule_name(self) -> str:
        """The rule's Chinese name (e.g. 办件时限), falling back to its code for a rule no longer catalogued."""
        from .catalogue import RULE_NAMES

        return str(RULE_NAMES.get(self.rule, self.rule))


class OrderStatus(models.TextChoices):
    OPEN = "open", _("待反馈")
    REPLIED = "replied", _("已反馈")
    CORRECTED = "corrected", _("已纠正")
    ACCOUNTABILITY = "accountability", _("已问责")


class SupervisionOrder(models.Model):
    """督办单: instructions to a department with a reply due date; a supervised subject itself
    (rule ``order_reply``; ``deadlines`` / ``next_check_at`` swept like cases)."""

    order_no = models.CharField(_("督办单号"), max_length=32, unique=True)
    alert = models.ForeignKey(Alert, models.PROTECT, null=True, blank=True, related_name="orders",
                              verbose_name=_("预警"))
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("办件"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="supervision_orders",
                                   verbose_name=_("督办部门"))
    region_code = models.CharField(_("区划代码"), max_length=12)
    instructions = models.TextField(_("督办要求"))
    reply_days = models.PositiveSmallIntegerField(_("反馈时限（工作日）"), default=3)
    reply_due = models.DateTimeField(_("反馈期限"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                  verbose_name=_("督办人"))
    issued_at = models.DateTimeField(_("督办时间"))
    status = models.CharField(_("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    reply = models.TextField(_("反馈内容"), blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("反馈人"))
    replied_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("办结人"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    conclusion = models.TextField(_("办结意见"), blank=True)
    next_check_at = models.DateTimeField(_("下次检查时间"), null=True, blank=True, db_index=True)
    deadlines = models.JSONField(_("时限节点"), default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("督办单")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["department", "status"], name="order_dept_status")]

    def __str__(self) -> str:
        return self.order_no

    @property
    def is_open(self) -> bool:
        return self.status in (OrderStatus.OPEN, OrderStatus.REPLIED)


class Accountability(models.Model):
    """问责记录: who, at which step, what measure."""

    order = models.ForeignKey(SupervisionOrder, models.PROTECT, related_name="accountabilities",
                              verbose_name=_("督办单"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("责任人"))
    person_name = models.CharField(_("责任人姓名"), max_length=64)
    step = models.CharField(_("环节"), max_length=64, blank=True)
    measure = models.CharField(_("问责措施"), max_length=255)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = verbose_name_plural = _("问责记录")

    def __str__(self) -> str:
        return f"{self.person_name}: {self.measure}"


class AlertTransition(models.Model):
    """One lifecycle step of an alert or a supervision order (who, when, from → to, note)."""

    alert = models.ForeignKey(Alert, models.PROTECT, null=True, blank=True, related_name="transitions",
                              verbose_name=_("预警"))
    order = models.ForeignKey(SupervisionOrder, models.PROTECT, null=True, blank=True, related_name="transitions",
                              verbose_name=_("督办单"))
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    action = models.CharField(_("操作"), max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("处置记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications",
                                  verbose_name=_("接收人"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=255, blank=True)
    alert = models.ForeignKey(Alert, models.SET_NULL, null=True, blank=True, related_name="notifications")
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败（重试中）")
    GAVE_UP = "gave_up", _("多次失败（需人工处理）")


class OutboundMessage(models.Model):
    """A message for an outbound channel (SMS / e-mail gateway); retried until sent, never dropped."""

    notification = models.ForeignKey(Notification, models.SET_NULL, null=True, blank=True, related_name="outbound")
    channel = models.CharField(_("渠道"), max_length=32)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("接收人"))
    address = models.CharField(_("地址"), max_length=255, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=OutboundStatus.choices,
                              default=OutboundStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("外发消息")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_due")]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: {self.subject}"


class AlertDailyStat(models.Model):
    """Cards raised per local day, department, rule and level (kept up to date where alerts are inserted)."""

    day = models.DateField(_("日期"))
    department = models.ForeignKey(Department, models.CASCADE, related_name="+")
    rule = models.CharField(max_length=32)
    level = models.CharField(max_length=8)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("预警日统计")
        constraints = [
            models.UniqueConstraint(fields=["day", "department", "rule", "level"], name="alertdailystat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id} {self.rule}/{self.level}: {self.count}"


class DepartmentSnapshot(models.Model):
    """Per-department figures for the monitoring wall, refreshed by a periodic job (one aggregate query)."""

    department = models.OneToOneField(Department, models.CASCADE, related_name="+", primary_key=True)
    open_by_state = models.JSONField(default=dict)  # clock_state -> open cases
    open_cards = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = _("监控快照")

    def __str__(self) -> str:
        return f"{self.department_id} @ {self.computed_at}"
