"""Public portal: applicant profiles (real-name status) and online applications with their uploaded materials.

An ``Application`` is the applicant's working copy (草稿) of an online application. Submitting it creates the
case through the single write path (``cases.services.record_event_or_raise``); the application then only keeps
the link (``case``) and the uploaded files. Case state is never written here.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import ApplicantType, Case
from xiaoneng.catalog.models import Item, ItemVersion, Material


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_storage_dir() -> str:
    return secrets.token_hex(16)


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("未实名核验")
    VERIFIED = "verified", _("已实名核验")
    FAILED = "failed", _("实名核验未通过")


class ApplicantProfile(models.Model):
    """Extra data of an applicant account (org.User kind "applicant"): type, ID number, real-name status."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="applicant_profile",
                                verbose_name=_("账号"))
    applicant_type = models.CharField(_("申请人类型"), max_length=16, choices=ApplicantType.choices,
                                      default=ApplicantType.PERSON)
    id_no_cipher = models.TextField(_("证件号码（密文）"), blank=True)
    id_no_masked = models.CharField(_("证件号码（脱敏）"), max_length=32, blank=True)
    verification = models.CharField(_("实名核验"), max_length=16, choices=VerificationStatus.choices,
                                    default=VerificationStatus.UNVERIFIED)
    verifier = models.CharField(_("核验方式"), max_length=128, blank=True)
    verification_note = models.CharField(_("核验说明"), max_length=255, blank=True)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("申请人资料")

    def __str__(self) -> str:
        return str(self.user)


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")


class Application(models.Model):
    """An online (or village-agent) application: a draft until submitted, then linked to its case."""

    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="portal_applications",
                             verbose_name=_("填报账号"))
    on_behalf = models.BooleanField(_("代办"), default=False, help_text=_("代办员代村民申报"))
    item = models.ForeignKey(Item, models.PROTECT, related_name="+", verbose_name=_("事项"))
    version = models.ForeignKey(ItemVersion, models.PROTECT, related_name="+", verbose_name=_("事项版本"))
    status = models.CharField(_("状态"), max_length=16, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    applicant_type = models.CharField(_("申请人类型"), max_length=16, choices=ApplicantType.choices,
                                      default=ApplicantType.PERSON)
    applicant_name = models.CharField(_("申请人姓名或名称"), max_length=128, blank=True)
    id_no_cipher = models.TextField(_("证件号码（密文）"), blank=True)
    id_no_masked = models.CharField(_("证件号码（脱敏）"), max_length=32, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone_cipher = models.TextField(_("联系电话（密文）"), blank=True)
    address = models.CharField(_("联系地址"), max_length=255, blank=True)
    description = models.TextField(_("申请事项说明"), blank=True, max_length=4000)
    storage_dir = models.CharField(max_length=32, default=new_storage_dir, editable=False)
    case = models.OneToOneField(Case, models.SET_NULL, null=True, blank=True, related_name="portal_application",
                                verbose_name=_("办件"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("网上申报")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "status"], name="portal_app_user_status")]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.get_status_display()}"


class FilePurpose(models.TextChoices):
    APPLICATION = "application", _("申请材料")
    CORRECTION = "correction", _("补正材料")


class ApplicationFile(models.Model):
    """One uploaded file, stored under MEDIA_ROOT/applications/<random dir>/<random name> (never web-served)."""

    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    application = models.ForeignKey(Application, models.CASCADE, related_name="files", verbose_name=_("申报"))
    material = models.ForeignKey(Material, models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("对应材料"))
    material_name = models.CharField(_("材料名称"), max_length=255)
    purpose = models.CharField(_("用途"), max_length=16, choices=FilePurpose.choices,
                               default=FilePurpose.APPLICATION)
    original_name = models.CharField(_("原文件名"), max_length=255)
    path = models.CharField(max_length=255, editable=False)  # relative to MEDIA_ROOT
    kind = models.CharField(_("类型"), max_length=8)  # pdf / jpg / png / docx
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    scan_result = models.CharField(_("病毒扫描"), max_length=32, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("申报材料文件")
        ordering = ["application", "id"]

    def __str__(self) -> str:
        return self.original_name
