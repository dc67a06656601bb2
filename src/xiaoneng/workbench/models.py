"""Workbench-side tables: what the built-in approval workbench keeps besides the case's event log.

None of these rows is case state: status, dates and the clock live on ``cases.Case`` (derived from the events).
These tables hold the paperwork around the events — the materials checklist, the single correction notice,
printed notice numbers, extension requests awaiting a leader, 上报 forwardings, village-agent routes, step
claims (签收) and each user's handled list (已办).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import Case
from xiaoneng.org.models import Department, Hall


class MaterialCheck(models.Model):
    """One line of a case's materials checklist (材料清单), copied from the item version at registration."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="material_checks", verbose_name=_("办件"))
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=255)
    form = models.CharField(_("材料形式"), max_length=32, blank=True)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    required = models.BooleanField(_("必需"), default=True)
    received = models.BooleanField(_("已收取"), default=False)
    received_at = models.DateTimeField(_("收取时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("材料收取清单")
        ordering = ["case", "order", "id"]

    def __str__(self) -> str:
        return self.name


class CorrectionNotice(models.Model):
    """The one complete correction notice (一次性告知) of an application: one per case, enforced by the key."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="correction_notice", verbose_name=_("办件"))
    materials = models.JSONField(_("需补正材料"), default=list)
    note = models.TextField(_("补正说明"), blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                  verbose_name=_("告知人"))
    issued_at = models.DateTimeField(_("告知时间"), default=timezone.now)
    completed_at = models.DateTimeField(_("补正完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("补正告知")

    def __str__(self) -> str:
        return f"{self.case_id} 补正告知"


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理通知书")
    CORRECTION = "correction", _("补正材料告知书")
    REJECTION = "rejection", _("不予受理决定书")


NOTICE_PREFIX = {NoticeKind.ACCEPTANCE: "受", NoticeKind.CORRECTION: "补", NoticeKind.REJECTION: "不受"}


class PrintedNotice(models.Model):
    """A numbered written notice (文书) issued for a case: ``〔year〕seq`` per department, kind and year."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="notices", verbose_name=_("办件"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("部门"))
    kind = models.CharField(_("文书类型"), max_length=16, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文书编号"), max_length=64)
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)
    content = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("文书编号")
        constraints = [
            models.UniqueConstraint(fields=["department", "kind", "year", "seq"], name="notice_unique_seq"),
            models.UniqueConstraint(fields=["case", "kind"], name="notice_one_per_case_kind"),
        ]

    def __str__(self) -> str:
        return self.number


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不批准")


class ExtensionRequest(models.Model):
    """延期申请 (第42条): requested by the handler, approved by a 领导 post → the ``extended`` event."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="extension_requests", verbose_name=_("办件"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("部门"))
    workdays = models.PositiveSmallIntegerField(_("延长工作日"))
    reason = models.TextField(_("延期理由"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                     verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=16, choices=RequestStatus.choices,
                              default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=255, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("延期申请")
        indexes = [models.Index(fields=["department", "status"], name="extreq_dept_status")]

    def __str__(self) -> str:
        return f"{self.case_id} 延期 {self.workdays}"


class Forwarding(models.Model):
    """上报件: the case forwarded to the item version's ``report_to`` department, which decides on it.

    The higher department's deciders see it in their inbox (上报件待决定) and on their case list; the case
    stays the lower department's (its clock, its delivery). ``decided_at`` is set when the higher body decides.
    """

    case = models.OneToOneField(Case, models.CASCADE, related_name="forwarding", verbose_name=_("办件"))
    from_department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("报送部门"))
    to_department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("上级部门"))
    opinion = models.TextField(_("初审意见"), blank=True)
    forwarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                     verbose_name=_("报送人"))
    forwarded_at = models.DateTimeField(_("报送时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("批复时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("上报记录")
        indexes = [models.Index(fields=["to_department", "decided_at"], name="forwarding_inbox")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.to_department_id}"


class AgentRoute(models.Model):
    """代办: a village agent's submission and where it was sent (village room → township hall → county hall)."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="agent_route", verbose_name=_("办件"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="agent_routes",
                              verbose_name=_("代办员"))
    from_hall = models.ForeignKey(Hall, models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("代办点"))
    to_hall = models.ForeignKey(Hall, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("传送至"))
    submitted_at = models.DateTimeField(_("代办受理时间"), default=timezone.now)
    villager_note = models.CharField(_("备注"), max_length=255, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("代办传送记录")
        indexes = [models.Index(fields=["agent", "-submitted_at"], name="agentroute_agent")]

    def __str__(self) -> str:
        return f"{self.case_id} 代办"


class StepClaim(models.Model):
    """签收: a user took a running step (one claim per step round, identified by the round's start)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="+", verbose_name=_("办件"))
    step_code = models.CharField(_("环节编码"), max_length=32)
    step_started_at = models.DateTimeField(_("环节开始时间"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("签收人"))
    acting_for = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("代A岗"))
    claimed_at = models.DateTimeField(_("签收时间"), default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = _("环节签收")
        constraints = [
            models.UniqueConstraint(fields=["case", "step_code", "step_started_at"], name="stepclaim_unique_round"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.step_code}"


class HandledLog(models.Model):
    """已办: one row per workbench action of a user (the case event log is keyed by case, this by user)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("经办人"))
    case = models.ForeignKey(Case, models.CASCADE, related_name="+", verbose_name=_("办件"))
    action = models.CharField(_("操作"), max_length=32)
    label = models.CharField(_("说明"), max_length=128, blank=True)
    acting_for = models.CharField(_("代A岗"), max_length=64, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = _("已办记录")
        indexes = [models.Index(fields=["user", "-at"], name="handled_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action}"


class DeemedConsent(models.Model):
    """超时默认: marker that the deemed-consent event of one parallel step round was recorded (idempotency)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="+", verbose_name=_("办件"))
    step_code = models.CharField(_("环节编码"), max_length=32)
    step_started_at = models.DateTimeField(_("环节开始时间"))
    deemed_at = models.DateTimeField(_("默认同意时间"))

    class Meta:
        verbose_name = verbose_name_plural = _("超时默认记录")
        constraints = [
            models.UniqueConstraint(fields=["case", "step_code", "step_started_at"], name="deemed_unique_round"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.step_code}"
