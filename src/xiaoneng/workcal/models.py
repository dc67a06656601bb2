"""Working calendar data: official days, administrators' overrides, confirmed years, and a version token.

Only *exceptions* to the Monday–Friday rule are stored (a day off, or a day worked); ordinary days have no row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("节假日（休息）")
    WORKDAY = "workday", _("调休上班")


class DaySource(models.TextChoices):
    OFFICIAL = "official", _("国务院公布")
    OVERRIDE = "override", _("人工调整")


class CalendarDay(models.Model):
    """One day's status for the whole country (``region`` null) or for one region and its subtree."""

    date = models.DateField(_("日期"), db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    source = models.CharField(_("来源"), max_length=16, choices=DaySource.choices, default=DaySource.OVERRIDE)
    region = models.ForeignKey(
        "org.Region",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="calendar_days",
        verbose_name=_("适用区划"),
        help_text=_("留空表示全国；填写后适用于该区划及其下级区划。"),
    )
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    changed_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工作日历日期")
        verbose_name_plural = _("工作日历")
        ordering = ["date", "id"]
        constraints = [
            # NULL regions are distinct in SQL unique indexes, hence one partial constraint for national rows.
            models.UniqueConstraint(
                fields=["date", "region"], condition=Q(region__isnull=False), name="workcal_day_region_unique"
            ),
            models.UniqueConstraint(
                fields=["date"], condition=Q(region__isnull=True), name="workcal_day_national_unique"
            ),
            models.CheckConstraint(
                condition=Q(source="override") | Q(region__isnull=True),
                name="workcal_day_official_is_national",
            ),
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region_id else _("全国")
        return f"{self.date} {self.get_kind_display()} ({where}, {self.get_source_display()})"


class CalendarYear(models.Model):
    """A year whose official schedule is known; dates in other years are computed Mon–Fri and unconfirmed."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=DaySource.choices, default=DaySource.OVERRIDE)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = _("已确认年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarChange(models.Model):
    """Append-only history of overrides: who changed which day, how, and why."""

    date = models.DateField(_("日期"), db_index=True)
    region = models.ForeignKey(
        "org.Region", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("适用区划")
    )
    old_kind = models.CharField(_("原类型"), max_length=16, choices=DayKind.choices, blank=True)
    old_source = models.CharField(_("原来源"), max_length=16, choices=DaySource.choices, blank=True)
    new_kind = models.CharField(_("新类型"), max_length=16, choices=DayKind.choices, blank=True)
    new_source = models.CharField(_("新来源"), max_length=16, choices=DaySource.choices, blank=True)
    reason = models.CharField(_("原因"), max_length=255)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    changed_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    reprojection = models.ForeignKey("Reprojection", models.SET_NULL, null=True, blank=True, related_name="changes",
                                     verbose_name=_("在办件重算"))

    class Meta:
        verbose_name = verbose_name_plural = _("日历变更记录")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.date}: {self.old_kind or '-'} → {self.new_kind or '-'}"


class CalendarVersion(models.Model):
    """Single row whose random token changes on every calendar change (processes compare it to their cache).

    A random token, not a counter: a change rolled back never leaves a version number that a later change
    could reuse while a process still caches the rolled-back calendar.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = _("日历版本")

    def __str__(self) -> str:
        return self.token


class ReprojectionStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Reprojection(models.Model):
    """Re-projection of open cases' due dates after a calendar change, run in the background (workcal.tasks).

    Changes to the same scope made before the run starts share it. ``last_case_id`` is the cursor of the
    chunks already committed, so a run interrupted by a worker restart resumes where it stopped.
    """

    region_code = models.CharField(_("适用区划代码"), max_length=12, blank=True, help_text=_("留空表示全国"))
    dates = models.JSONField(_("变更日期"), default=list)
    status = models.CharField(_("状态"), max_length=16, choices=ReprojectionStatus.choices,
                              default=ReprojectionStatus.PENDING)
    total = models.PositiveIntegerField(_("待重算办件"), null=True, blank=True)
    done = models.PositiveIntegerField(_("已重算办件"), default=0)
    last_case_id = models.BigIntegerField(default=0)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    progress_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("日历变更重算")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "region_code"], name="workcal_reproj_status")]

    def __str__(self) -> str:
        return f"{self.region_code or _('全国')} {', '.join(self.dates[:3])}: {self.progress}"

    @property
    def progress(self) -> str:
        if self.status == ReprojectionStatus.DONE:
            return _("已完成（%(n)d 件）") % {"n": self.done}
        if self.status == ReprojectionStatus.RUNNING and self.total is not None:
            return _("计算中（%(done)d / %(total)d 件）") % {"done": self.done, "total": self.total}
        return str(self.get_status_display())
