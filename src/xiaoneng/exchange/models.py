"""Data exchange: registered source systems (接入系统) and their API keys, the per-system rate counter,
the quarantine of rejected events (隔离区), and bulk-import jobs (二次入录).

API keys are ``xn_<prefix>_<secret>`` with 32 random bytes of secret. They are stored as a plain SHA-256 of
the whole key, not argon2: a slow password hash protects *low-entropy* secrets against guessing, but a
256-bit random key cannot be guessed whatever the hash speed, and a slow hash would cost ~50 ms of CPU on every
API request (and make key checking a denial-of-service lever). The 8-character prefix is indexed so that a
request costs one indexed lookup; the hash is then compared in constant time.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Department, Region


class SourceSystem(models.Model):
    code = models.CharField(_("系统编码"), max_length=64, unique=True,
                            help_text=_("写入每条事件的来源系统编码；事件标识在同一系统内唯一"))
    name = models.CharField(_("系统名称"), max_length=128)
    departments = models.ManyToManyField(Department, related_name="source_systems", blank=True,
                                         verbose_name=_("可报送部门"))
    is_supervisor = models.BooleanField(_("上级监察系统"), default=False,
                                        help_text=_("可读取所辖区划内全部办件与预警；只能为已绑定部门报送事件"))
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("监察区划"), help_text=_("上级监察系统可读取的区划（含下级）"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("接入系统")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ApiKey(models.Model):
    system = models.ForeignKey(SourceSystem, models.CASCADE, related_name="keys", verbose_name=_("接入系统"))
    prefix = models.CharField(_("前缀"), max_length=8, db_index=True)
    key_hash = models.CharField(_("摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("接口密钥")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"xn_{self.prefix}_…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RateWindow(models.Model):
    """Fixed-window request counter per system (one row per system and minute), shared by all processes."""

    system = models.ForeignKey(SourceSystem, models.CASCADE, related_name="+")
    minute = models.BigIntegerField()  # minutes since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "minute"], name="ratewindow_unique")]

    def __str__(self) -> str:
        return f"{self.system_id}@{self.minute}: {self.count}"


class QuarantineStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    REPLAYED = "replayed", _("已重放")
    RESOLVED = "resolved", _("已处理")


class QuarantineSource(models.TextChoices):
    API = "api", _("接口")
    IMPORT = "import", _("批量导入")
    REPLAY = "replay", _("重放")


class QuarantinedEvent(models.Model):
    """A rejected event with its raw content and reason: never silently dropped, correctable and replayable."""

    system = models.ForeignKey(SourceSystem, models.PROTECT, null=True, blank=True, related_name="quarantine",
                               verbose_name=_("接入系统"), help_text=_("空：本平台（无来源系统的导入）"))
    source = models.CharField(_("来源"), max_length=16, choices=QuarantineSource.choices,
                              default=QuarantineSource.API)
    raw = models.JSONField(_("原始内容"), null=True)
    event_id = models.CharField(_("事件标识"), max_length=255, blank=True)
    case_no = models.CharField(_("办件编号"), max_length=255, blank=True, db_index=True)
    error_code = models.CharField(_("错误代码"), max_length=64, db_index=True)
    error_field = models.CharField(_("错误字段"), max_length=64, blank=True)
    error_message = models.TextField(_("错误说明"), blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=QuarantineStatus.choices,
                              default=QuarantineStatus.OPEN, db_index=True)
    history = models.JSONField(_("重放记录"), default=list, blank=True)
    import_job = models.ForeignKey("ImportJob", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("导入任务"))
    import_row = models.PositiveIntegerField(_("导入行号"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("隔离事件")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["system", "status"], name="quarantine_system_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.error_code} {self.event_id}"


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("已中断")


class ImportJob(models.Model):
    """One bulk import. ``sheet``/``last_row`` show how far it has got in file order; what a resumed import
    skips is decided by its committed :class:`ImportChunk` rows."""

    file_name = models.CharField(_("文件名"), max_length=255)
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    system = models.ForeignKey(SourceSystem, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("来源系统"))
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    sheet = models.CharField(_("当前工作表"), max_length=32, blank=True)
    last_row = models.PositiveIntegerField(_("已提交行号"), default=0)
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    rows_imported = models.PositiveIntegerField(_("导入行数"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("重复行数"), default=0)
    rows_rejected = models.PositiveIntegerField(_("拒收行数"), default=0)
    events_accepted = models.PositiveIntegerField(_("接收事件"), default=0)
    message = models.TextField(_("说明"), blank=True)
    report = models.FileField(_("行报告"), upload_to="import-reports/", blank=True)
    created_by = models.CharField(_("操作人"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("导入任务")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class ImportChunk(models.Model):
    """A committed chunk of an import (a contiguous range of one sheet's rows), written in the chunk's own
    transaction: a resumed import skips exactly the rows of committed chunks, in whatever order parallel workers
    committed them, and the job's totals are the sums over its chunks."""

    job = models.ForeignKey(ImportJob, models.CASCADE, related_name="chunks")
    sheet = models.CharField(max_length=32)
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    events_accepted = models.PositiveIntegerField(default=0)
    committed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "sheet", "first_row"], name="importchunk_unique_start")]

    def __str__(self) -> str:
        return f"{self.job_id} {self.sheet} {self.first_row}–{self.last_row}"
