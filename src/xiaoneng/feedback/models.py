"""Citizen feedback (domain-rules §4): consultations (咨询), complaints (投诉) and ratings (好差评).

Every feedback item is a supervision subject (``xiaoneng.supervision.subjects.register``): it carries
``region_code``, ``department`` (the department that must act: reply, handle, rectify), ``deadlines`` (every live
threshold, computed by :mod:`xiaoneng.feedback.deadlines`) and ``next_check_at``. Items are only ever written by
:mod:`xiaoneng.feedback.services`; every state change is recorded in :class:`FeedbackTransition`. Nothing is
deleted: a removed rating keeps its row, flagged ``removed`` with the reason.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import Case
from xiaoneng.catalog.models import Item
from xiaoneng.org.models import Department, Window

TEXT_MAX = 2000


class SubjectType(models.TextChoices):
    CONSULTATION = "consultation", _("咨询")
    COMPLAINT = "complaint", _("投诉")
    RATING = "rating", _("评价")


class ConsultationStatus(models.TextChoices):
    RECEIVED = "received", _("待答复")
    REPLIED = "replied", _("已答复")


class ClockState(models.TextChoices):
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("预警")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")
    DONE = "done", _("已完成")


class SupervisedMixin(models.Model):
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    deadlines = models.JSONField(_("时限节点"), default=list, blank=True)
    next_check_at = models.DateTimeField(_("下次检查时间"), null=True, blank=True, db_index=True)
    clock_state = models.CharField(_("计时状态"), max_length=16, choices=ClockState.choices,
                                   default=ClockState.NORMAL)

    class Meta:
        abstract = True


class Consultation(SupervisedMixin):
    receipt_no = models.CharField(_("受理编号"), max_length=32, unique=True)
    department = models.ForeignKey(Department, models.PROTECT, related_name="consultations",
                                   verbose_name=_("答复部门"))
    item = models.ForeignKey(Item, models.SET_NULL, null=True, blank=True, related_name="consultations",
                             verbose_name=_("咨询事项"))
    question = models.TextField(_("咨询内容"), max_length=TEXT_MAX)
    asker_name = models.CharField(_("咨询人"), max_length=64)
    phone_cipher = models.TextField(_("联系电话（密文）"), blank=True)
    phone_last4 = models.CharField(_("电话后四位"), max_length=4, blank=True)
    publish_consent = models.BooleanField(_("同意公开问答"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=ConsultationStatus.choices,
                              default=ConsultationStatus.RECEIVED)
    received_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reply_due = models.DateTimeField(_("答复期限"), null=True, blank=True)
    reply = models.TextField(_("答复内容"), max_length=TEXT_MAX, blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("答复人"))
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    is_public = models.BooleanField(_("公开问答"), default=False)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("咨询")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["department", "received_at"], name="consult_dept_received")]

    def __str__(self) -> str:
        return self.receipt_no


class ComplaintType(models.TextChoices):
    IRREGULAR = "irregular", _("违规办理")
    FEES = "fees", _("乱收费")
    ATTITUDE = "attitude", _("服务态度")
    EXTORTION = "extortion", _("吃拿卡要")
    OTHER = "other", _("其他")


class ComplaintTarget(models.TextChoices):
    CASE = "case", _("办件")
    DEPARTMENT = "department", _("部门")
    WINDOW = "window", _("窗口")
    STAFF = "staff", _("工作人员")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("不予受理")
    INVESTIGATING = "investigating", _("调查中")
    RESOLVED = "resolved", _("已办结")


class ComplaintResult(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实")
    PARTLY = "partly", _("部分属实")
    UNSUBSTANTIATED = "unsubstantiated", _("不属实")


SUBSTANTIATED_RESULTS = (ComplaintResult.SUBSTANTIATED, ComplaintResult.PARTLY)
COMPLAINT_CLOSED = (ComplaintStatus.DECLINED, ComplaintStatus.RESOLVED)


class Complaint(SupervisedMixin):
    """A complaint. ``department`` is the handling department it is routed to (``routed_to``); the department
    complained about is ``target_department``."""

    receipt_no = models.CharField(_("受理编号"), max_length=32, unique=True)
    type = models.CharField(_("投诉类型"), max_length=16, choices=ComplaintType.choices)
    target = models.CharField(_("投诉对象"), max_length=16, choices=ComplaintTarget.choices)
    case_no_given = models.CharField(_("填写的办件编号"), max_length=64, blank=True)
    case = models.ForeignKey(Case, models.PROTECT, null=True, blank=True, related_name="complaints",
                             verbose_name=_("关联办件"))
    case_verified = models.BooleanField(_("办件关联已验证"), default=False,
                                        help_text=_("投诉人同时提供了办件查询码"))
    target_department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True,
                                          related_name="complaints_about", verbose_name=_("被投诉部门"))
    window = models.ForeignKey(Window, models.SET_NULL, null=True, blank=True, related_name="complaints",
                               verbose_name=_("被投诉窗口"))
    staff_name = models.CharField(_("被投诉人员"), max_length=64, blank=True)
    description = models.TextField(_("投诉内容"), max_length=TEXT_MAX)
    complainant_name = models.CharField(_("投诉人"), max_length=64, blank=True)
    phone_cipher = models.TextField(_("联系电话（密文）"))
    phone_last4 = models.CharField(_("电话后四位"), max_length=4)
    department = models.ForeignKey(Department, models.PROTECT, related_name="complaints_handled",
                                   verbose_name=_("承办部门"))
    status = models.CharField(_("状态"), max_length=16, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED)
    received_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    accept_due = models.DateTimeField(_("受理期限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    declined_at = models.DateTimeField(_("不予受理时间"), null=True, blank=True)
    decline_reason = models.TextField(_("不予受理理由"), max_length=TEXT_MAX, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("承办人"))
    resolve_due = models.DateTimeField(_("办结期限"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    result = models.CharField(_("核查结论"), max_length=16, choices=ComplaintResult.choices, blank=True)
    reply = models.TextField(_("答复内容"), max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("投诉")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["department", "received_at"], name="complaint_dept_received"),
            models.Index(fields=["target_department", "received_at"], name="complaint_target_received"),
        ]

    def __str__(self) -> str:
        return self.receipt_no

    @property
    def routed_to(self) -> Department:
        return self.department

    @property
    def is_closed(self) -> bool:
        return self.status in COMPLAINT_CLOSED


def attachment_path(instance, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"feedback/complaints/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ComplaintAttachment(models.Model):
    """An uploaded file, stored under MEDIA_ROOT (outside the web root) and served only to authorised staff."""

    complaint = models.ForeignKey(Complaint, models.PROTECT, related_name="attachments", verbose_name=_("投诉"))
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = _("投诉附件")

    def __str__(self) -> str:
        return self.original_name


class RatingChannel(models.TextChoices):
    ONLINE = "online", _("网上评价")
    WINDOW = "window", _("窗口评价")
    DEVICE = "device", _("评价器")


class RatingLevel(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASIC = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_LEVEL_MAX = 2  # levels <= 2 are 差评

ONLINE_DIMENSIONS = (
    ("overall", _("总体评价")),
    ("efficiency", _("办事效率")),
    ("guide_accuracy", _("办事指南准确性")),
    ("convenience", _("办事便利度")),
    ("usability", _("平台易用性")),
)
OFFLINE_DIMENSIONS = (
    ("overall", _("总体评价")),
    ("efficiency", _("办事效率")),
    ("service_level", _("服务水平")),
    ("attitude", _("服务态度")),
)


def dimensions_for(channel: str):
    return ONLINE_DIMENSIONS if channel == RatingChannel.ONLINE else OFFLINE_DIMENSIONS


class BadRatingStage(models.TextChoices):
    NONE = "", _("—")
    VERIFY = "verify", _("待核实")
    RECTIFY = "rectify", _("待整改")
    CALLBACK = "callback", _("待回访")
    DONE = "done", _("已办结")


class AppealStatus(models.TextChoices):
    NONE = "", _("—")
    PENDING = "pending", _("申诉待审")
    UPHELD = "upheld", _("申诉成立（已撤销）")
    REJECTED = "rejected", _("申诉驳回")


class CallbackResult(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("无法联系")


class Rating(SupervisedMixin):
    receipt_no = models.CharField(_("评价编号"), max_length=32, unique=True)
    case = models.ForeignKey(Case, models.PROTECT, related_name="ratings", verbose_name=_("办件"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="ratings",
                                   verbose_name=_("被评价部门"))
    channel = models.CharField(_("评价渠道"), max_length=16, choices=RatingChannel.choices)
    window = models.ForeignKey(Window, models.SET_NULL, null=True, blank=True, related_name="ratings",
                               verbose_name=_("窗口"))
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=RatingLevel.choices)
    scores = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.TextField(_("评价意见"), max_length=TEXT_MAX, blank=True)
    phone_cipher = models.TextField(_("联系电话（密文）"), blank=True)
    phone_last4 = models.CharField(_("电话后四位"), max_length=4, blank=True)
    is_bad = models.BooleanField(_("差评"), default=False)
    rated_at = models.DateTimeField(_("评价时间"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("评价器登录人员"))

    # 差评 workflow: verify (核实) → rectify (整改) → call back (回访).
    stage = models.CharField(_("差评处理阶段"), max_length=16, choices=BadRatingStage.choices, blank=True,
                             default=BadRatingStage.NONE)
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("核实人"))
    verification = models.TextField(_("核实情况"), max_length=TEXT_MAX, blank=True)
    rectify_due = models.DateTimeField(_("整改期限"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("整改人"))
    rectification = models.TextField(_("整改措施"), max_length=TEXT_MAX, blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("回访人"))
    callback_result = models.CharField(_("回访结果"), max_length=16, choices=CallbackResult.choices, blank=True)
    callback_note = models.TextField(_("回访记录"), max_length=TEXT_MAX, blank=True)

    # Appeal (申诉) by the department; decided by a supervisor. An upheld appeal removes the rating.
    appeal_status = models.CharField(_("申诉状态"), max_length=16, choices=AppealStatus.choices, blank=True,
                                     default=AppealStatus.NONE)
    appeal_reason = models.TextField(_("申诉理由"), max_length=TEXT_MAX, blank=True)
    appealed_at = models.DateTimeField(_("申诉时间"), null=True, blank=True)
    appealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("申诉人"))
    appeal_decided_at = models.DateTimeField(_("申诉审核时间"), null=True, blank=True)
    appeal_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name=_("申诉审核人"))
    removed = models.BooleanField(_("已撤销"), default=False)
    removed_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    removal_reason = models.TextField(_("撤销理由"), max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("好差评")
        ordering = ["-rated_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "channel"], name="rating_unique_case_channel"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="rating_level_range"),
        ]
        indexes = [models.Index(fields=["department", "rated_at"], name="rating_dept_rated")]

    def __str__(self) -> str:
        return self.receipt_no


class FeedbackTransition(models.Model):
    """Append-only history of every feedback state change: who, when, from, to, note."""

    subject_type = models.CharField(_("对象类型"), max_length=16, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("对象ID"))
    action = models.CharField(_("操作"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))
    actor_name = models.CharField(_("操作人姓名"), max_length=64, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("处理记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"], name="fbtransition_subject")]

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("feedback transitions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("feedback transitions are append-only")
