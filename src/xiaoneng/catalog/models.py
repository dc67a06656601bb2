"""Service catalogue (政务服务事项目录): items and their published, immutable versions.

A case keeps the version it was accepted under, so a later change of limits, steps or fees never rewrites
history. Editing happens on a draft; publishing freezes it (see ``catalog.services``).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Department, Post


class PublishedVersionError(ValidationError):
    """Raised on any attempt to change a published (or retired) version or its steps, fees and materials."""

    def __init__(self, message=None):
        super().__init__(message or _("已发布的事项版本不可修改；请基于它新建草稿版本。"), code="version_immutable")


class ItemType(models.TextChoices):
    LICENSING = "01", _("行政许可")
    PUNISHMENT = "02", _("行政处罚")
    COERCION = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


class HandlingType(models.TextChoices):
    INSTANT = "instant", _("即办件")
    PROMISED = "promised", _("承诺件")
    REPORT = "report", _("上报件")
    JOINT = "joint", _("并联审批件")


class LimitUnit(models.TextChoices):
    WORKDAY = "workday", _("工作日")
    NATURAL_DAY = "natural_day", _("自然日")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已废止")


class Item(models.Model):
    code = models.CharField(_("事项编码"), max_length=64, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    department = models.ForeignKey(Department, models.PROTECT, related_name="items", verbose_name=_("实施部门"))
    life_event = models.CharField(_("主题分类"), max_length=64, blank=True, help_text=_("如：生育收养、建房、开店"))
    keywords = models.CharField(_("关键词"), max_length=255, blank=True)
    current_version = models.ForeignKey("ItemVersion", models.SET_NULL, null=True, blank=True, related_name="+",
                                        verbose_name=_("现行版本"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = verbose_name_plural = _("事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ItemVersion(models.Model):
    """One version of an item's guide (办事指南): the "五公开" fields, limits, steps, fees and materials."""

    item = models.ForeignKey(Item, models.CASCADE, related_name="versions", verbose_name=_("事项"))
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    handling_type = models.CharField(_("办件类型"), max_length=16, choices=HandlingType.choices,
                                     default=HandlingType.PROMISED)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    conditions = models.TextField(_("受理条件"), blank=True)
    procedure = models.TextField(_("办理程序说明"), blank=True)
    limit_unit = models.CharField(_("时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKDAY)
    statutory_days = models.PositiveIntegerField(_("法定时限"))
    promised_days = models.PositiveIntegerField(_("承诺时限"))
    max_extension_days = models.PositiveIntegerField(_("可延期天数"), default=10)
    location = models.CharField(_("办理地点"), max_length=255, blank=True)
    office_hours = models.CharField(_("办理时间"), max_length=128, blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=32, blank=True)
    complaint_phone = models.CharField(_("投诉电话"), max_length=32, blank=True)
    visits_required = models.PositiveSmallIntegerField(_("到现场次数"), default=1)
    online = models.BooleanField(_("可网上申报"), default=True)
    separation_required = models.BooleanField(_("审批分离"), default=False,
                                              help_text=_("受理人与决定人不得为同一人"))
    report_to = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("上报部门"), help_text=_("上报件：转报的上级部门"))
    effective_from = models.DateField(_("施行日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey("org.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("发布人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("事项版本")
        ordering = ["item", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="itemversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.item.name} v{self.number}"

    def save(self, *args, **kwargs):
        """A published version is immutable: the only change allowed is retiring it (status only)."""
        if self.pk and not self._state.adding:
            stored = ItemVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored is not None and stored != VersionStatus.DRAFT:
                update_fields = kwargs.get("update_fields")
                retiring = (update_fields is not None and set(update_fields) <= {"status"}
                            and self.status == VersionStatus.RETIRED)
                if not retiring:
                    raise PublishedVersionError()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk and ItemVersion.objects.filter(pk=self.pk).exclude(status=VersionStatus.DRAFT).exists():
            raise PublishedVersionError(_("已发布的事项版本不可删除。"))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status != VersionStatus.DRAFT

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def speedup(self) -> float:
        """承诺提速率: 1 − promised/statutory."""
        return 0.0 if not self.statutory_days else round(1 - self.promised_days / self.statutory_days, 4)


class VersionContentMixin:
    """Steps, fees and materials of a published version can no longer be changed or deleted."""

    def _guard(self):
        if self.pk and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("version__status", flat=True).first()
            if stored is not None and stored != VersionStatus.DRAFT:
                raise PublishedVersionError()

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)


class Material(VersionContentMixin, models.Model):
    version = models.ForeignKey(ItemVersion, models.CASCADE, related_name="materials", verbose_name=_("版本"))
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=255)
    form = models.CharField(_("材料形式"), max_length=32, default="原件", help_text=_("原件 / 复印件 / 原件和复印件"))
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    required = models.BooleanField(_("必需"), default=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="forms/", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("申请材料")
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Step(VersionContentMixin, models.Model):
    """A process step (环节): who performs it and its allotted working days. Steps sharing a non-empty
    ``parallel_group`` run at the same time (并联审批); ``department`` is set for a co-department's step."""

    version = models.ForeignKey(ItemVersion, models.CASCADE, related_name="steps", verbose_name=_("版本"))
    order = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("环节编码"), max_length=32)
    name = models.CharField(_("环节名称"), max_length=64)
    post = models.CharField(_("办理岗位"), max_length=16, choices=Post.choices)
    days = models.PositiveIntegerField(_("环节时限（工作日）"), default=0)
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("协办部门"))
    parallel_group = models.CharField(_("并联组"), max_length=16, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("办理环节")
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="step_unique_code")]

    def __str__(self) -> str:
        return self.name


class Fee(VersionContentMixin, models.Model):
    version = models.ForeignKey(ItemVersion, models.CASCADE, related_name="fees", verbose_name=_("版本"))
    code = models.CharField(_("收费编码"), max_length=32)
    name = models.CharField(_("收费项目"), max_length=128)
    amount = models.DecimalField(_("收费标准（元）"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])
    basis = models.TextField(_("收费依据"), blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("收费项目")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="fee_unique_code"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fee_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}元"

    def clean(self):
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": _("收费金额不能为负数")})
