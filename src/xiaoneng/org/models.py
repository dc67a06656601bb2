"""Organisation: regions, departments, service halls and windows, staff, posts and A/B substitution.

分级管理、逐级授权: every department belongs to a region; staff belong to one department and act through posts.
"""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

region_code_validator = RegexValidator(r"^\d{12}$", _("区划代码必须是12位数字"))


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县（区）")
    TOWNSHIP = "township", _("乡镇（街道）")
    VILLAGE = "village", _("村（社区）")


class Region(models.Model):
    """An administrative division (行政区划) with its 12-digit code; ``path`` makes subtree queries one range scan."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True, validators=[region_code_validator])
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("上级区划"))
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "/") + self.code + "/"
        super().save(*args, **kwargs)

    def subtree_codes(self) -> models.QuerySet:
        return Region.objects.filter(path__startswith=self.path).values_list("code", flat=True)


class DepartmentKind(models.TextChoices):
    AGENCY = "agency", _("职能部门")
    SERVICE_CENTRE = "service_centre", _("政务服务中心")
    SUPERVISION = "supervision", _("监察机关")
    TOWNSHIP = "township", _("乡镇人民政府")
    VILLAGE = "village", _("村（居）委会")


class Department(models.Model):
    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=DepartmentKind.choices, default=DepartmentKind.AGENCY)
    region = models.ForeignKey(Region, models.PROTECT, related_name="departments", verbose_name=_("所属区划"))
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("上级部门"))
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def region_code(self) -> str:
        return self.region.code


class HallLevel(models.TextChoices):
    COUNTY = "county", _("县级行政服务中心")
    TOWNSHIP = "township", _("乡镇便民服务大厅")
    VILLAGE = "village", _("村便民服务室")


class Hall(models.Model):
    """A service hall (政务服务中心 / 便民服务大厅 / 便民服务室)."""

    name = models.CharField(_("名称"), max_length=128)
    level = models.CharField(_("层级"), max_length=16, choices=HallLevel.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="halls", verbose_name=_("所属区划"))
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("上级大厅"), help_text=_("村代办 → 乡镇 → 县的转送路线"))
    address = models.CharField(_("地址"), max_length=255, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    opening_hours = models.CharField(_("办公时间"), max_length=128, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("服务大厅")
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    hall = models.ForeignKey(Hall, models.CASCADE, related_name="windows", verbose_name=_("大厅"))
    number = models.CharField(_("窗口号"), max_length=16)
    name = models.CharField(_("窗口名称"), max_length=64)
    departments = models.ManyToManyField(Department, related_name="windows", blank=True, verbose_name=_("进驻部门"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = verbose_name_plural = _("窗口")
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="window_unique_number")]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number}号窗口"


class UserKind(models.TextChoices):
    STAFF = "staff", _("工作人员")
    APPLICANT = "applicant", _("申请人")


class User(AbstractUser):
    """Staff (工作人员) and online applicants (申请人) share one account table; ``kind`` tells them apart."""

    kind = models.CharField(_("账号类型"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF)
    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, null=True, blank=True, unique=True)
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="staff",
                                   verbose_name=_("所属部门"))
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Post(models.TextChoices):
    ACCEPTOR = "acceptor", _("受理员")
    REVIEWER1 = "reviewer1", _("初审")
    REVIEWER2 = "reviewer2", _("复审")
    DECIDER = "decider", _("决定")
    NOTIFIER = "notifier", _("办结告知")
    DEPT_ADMIN = "dept_admin", _("部门管理员")
    SUPERVISOR = "supervisor", _("监察员")
    CHIEF_REP = "chief_rep", _("首席代表")
    AGENT = "agent", _("代办员")
    LEADER = "leader", _("领导")
    SECTION_CHIEF = "section_chief", _("科室负责人")


# A chief representative (首席代表) holds the department's delegated authority at the hall window.
DELEGATED_POSTS = {Post.CHIEF_REP: {Post.ACCEPTOR, Post.REVIEWER1, Post.REVIEWER2, Post.DECIDER, Post.NOTIFIER}}


class PostAssignment(models.Model):
    """A user holding a post in a department (A岗); ``substitute`` (B岗) acts while the holder is away."""

    user = models.ForeignKey(User, models.CASCADE, related_name="posts", verbose_name=_("人员"))
    department = models.ForeignKey(Department, models.CASCADE, related_name="post_assignments",
                                   verbose_name=_("部门"))
    post = models.CharField(_("岗位"), max_length=16, choices=Post.choices)
    hall = models.ForeignKey(Hall, models.SET_NULL, null=True, blank=True, verbose_name=_("所在大厅"))
    window = models.ForeignKey(Window, models.SET_NULL, null=True, blank=True, verbose_name=_("所在窗口"))
    substitute = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="substitute_for",
                                   verbose_name=_("B岗（替补）"))
    away_from = models.DateTimeField(_("外出开始"), null=True, blank=True)
    away_until = models.DateTimeField(_("外出结束"), null=True, blank=True)
    granted_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("授权人"))
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = verbose_name_plural = _("岗位授权")
        constraints = [models.UniqueConstraint(fields=["user", "department", "post"], name="post_unique_holder")]
        indexes = [models.Index(fields=["department", "post"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_post_display()}"

    def is_away(self, at=None) -> bool:
        at = at or timezone.now()
        return bool(self.away_from and self.away_from <= at and (self.away_until is None or at < self.away_until))
