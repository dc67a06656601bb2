"""Performance evaluation (绩效评估, domain-rules §5): versioned scoring standards, periods, scores with facts.

* ``Standard`` — a named, versioned scoring standard. A published version is immutable (its categories and rules
  cannot be changed or deleted); ``Standard.new_version_from(old)`` copies it into a new draft.
* ``Category`` — a category of the standard; ``weight`` is its maximum points. Deductions never take a category
  below 0; bonuses are added on top.
* ``ScoringRule`` — one rule of a category, of a ``RuleKind`` and reading a named indicator or fact source
  (see ``evaluation.scoring`` for the exact semantics of every kind).
* ``Period`` — a month, quarter or year, scored with the standard version chosen for it.
* ``Score`` / ``ScoreLine`` — the result per department and period. Recomputation replaces the latest
  *unpublished* version; publishing freezes it, and the next recomputation creates a new version, so the history
  of published scores is kept.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Department

from .scoring import GRADE_LABELS


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class ImmutableError(ValidationError):
    pass


class Standard(models.Model):
    name = models.CharField(_("标准名称"), max_length=128)
    number = models.PositiveIntegerField(_("版本号"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=StandardStatus.choices, default=StandardStatus.DRAFT)
    base = models.DecimalField(_("基础分"), max_digits=6, decimal_places=2, default=Decimal("100"))
    description = models.TextField(_("说明"), blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("评估标准")
        ordering = ["name", "-number"]
        constraints = [models.UniqueConstraint(fields=["name", "number"], name="standard_unique_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = Standard.objects.filter(pk=self.pk).values("status", "name", "number", "base").first()
            if stored and stored["status"] == StandardStatus.PUBLISHED and (
                self.status != StandardStatus.PUBLISHED or stored["base"] != self.base
                or stored["name"] != self.name or stored["number"] != self.number
            ):
                raise ImmutableError(_("已发布的评估标准不可修改，请新建版本。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise ImmutableError(_("已发布的评估标准不可删除。"))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == StandardStatus.PUBLISHED

    def publish(self) -> None:
        if not self.is_published:
            self.status = StandardStatus.PUBLISHED
            self.published_at = timezone.now()
            self.save()

    @classmethod
    @transaction.atomic
    def new_version_from(cls, old: "Standard") -> "Standard":
        """A new draft with the next version number and a copy of every category and rule of ``old``."""
        last = cls.objects.filter(name=old.name).aggregate(m=models.Max("number"))["m"] or 0
        new = cls.objects.create(name=old.name, number=last + 1, base=old.base, description=old.description)
        for cat in old.categories.order_by("order", "id"):
            rules = list(cat.rules.order_by("order", "id"))
            cat.pk = None
            cat.standard = new
            Category.save(cat, _allow=True)
            for rule in rules:
                rule.pk = None
                rule.category = cat
                ScoringRule.save(rule, _allow=True)
        return new


class _StandardChild(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, _allow: bool = False, **kwargs):
        if not _allow and self._standard().is_published:
            raise ImmutableError(_("已发布的评估标准不可修改，请新建版本。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._standard().is_published:
            raise ImmutableError(_("已发布的评估标准不可修改，请新建版本。"))
        return super().delete(*args, **kwargs)

    def _standard(self) -> Standard:
        raise NotImplementedError


class Category(_StandardChild):
    standard = models.ForeignKey(Standard, models.CASCADE, related_name="categories", verbose_name=_("评估标准"))
    code = models.CharField(_("类别编码"), max_length=32)
    name = models.CharField(_("类别名称"), max_length=64)
    weight = models.DecimalField(_("分值（满分）"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("评估类别")
        ordering = ["standard", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="category_unique_code")]

    def __str__(self) -> str:
        return f"{self.name}（{self.weight}）"

    def _standard(self) -> Standard:
        return Standard.objects.get(pk=self.standard_id)


class RuleKind(models.TextChoices):
    PER_CARD = "per_card", _("按牌扣分")
    PER_N = "per_n", _("每N张扣分")
    RATE_DEDUCTION = "rate_deduction", _("按比率扣分")
    PER_FACT = "per_fact", _("按事实扣分")
    THRESHOLD_BONUS = "threshold_bonus", _("达标加分")
    MANUAL = "manual", _("人工扣分")


class ScoringRule(_StandardChild):
    """One rule. Fields used per kind (others blank):

    * ``per_card``: ``source`` = "cards", ``level``, ``filters`` {"rules": [...]}, ``points`` per card (negative).
    * ``per_n``: ``source`` = "cards", ``level``, ``filters``, ``n``, ``points`` per full N cards.
    * ``rate_deduction``: ``indicator`` (a rate 0…1 where 1 is perfect), ``points`` per full 1 % short of 100 %,
      ``cap`` (the most it may take, as a negative number), ``source`` = the facts listed with it.
    * ``per_fact``: ``source`` (a fact source), ``filters`` (field → allowed values), ``points`` per fact.
    * ``threshold_bonus``: ``indicator``, ``threshold`` (rate), ``points`` at the threshold, ``step`` (rate),
      ``step_points`` per further full step, ``cap`` (optional maximum), ``source`` = the facts listed with it.
    * ``manual``: sanctions entered by hand (``ManualAdjustment``) for the rule's category.
    """

    category = models.ForeignKey(Category, models.CASCADE, related_name="rules", verbose_name=_("类别"))
    code = models.CharField(_("规则编码"), max_length=48)
    name = models.CharField(_("规则名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=RuleKind.choices)
    indicator = models.CharField(_("指标"), max_length=48, blank=True)
    source = models.CharField(_("事实来源"), max_length=48, blank=True)
    level = models.CharField(_("预警等级"), max_length=8, blank=True)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, default=Decimal("0"))
    n = models.PositiveIntegerField(_("每N项"), null=True, blank=True)
    cap = models.DecimalField(_("封顶"), max_digits=6, decimal_places=2, null=True, blank=True)
    threshold = models.DecimalField(_("起点"), max_digits=6, decimal_places=4, null=True, blank=True)
    step = models.DecimalField(_("步长"), max_digits=6, decimal_places=4, null=True, blank=True)
    step_points = models.DecimalField(_("每步分值"), max_digits=6, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    description = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("评分规则")
        ordering = ["category", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="scoringrule_unique_code")]

    def __str__(self) -> str:
        return self.name

    def _standard(self) -> Standard:
        return Standard.objects.get(categories__id=self.category_id)


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class Period(models.Model):
    """``key`` is ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``; ``start``/``end`` are local dates, both inclusive."""

    key = models.CharField(_("期间"), max_length=8, unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=PeriodKind.choices)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    standard = models.ForeignKey(Standard, models.PROTECT, related_name="periods", verbose_name=_("评估标准版本"))

    class Meta:
        verbose_name = verbose_name_plural = _("评估期间")
        ordering = ["-start", "kind"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"


class ManualAdjustment(models.Model):
    """A sanction (or restoration) entered by hand, with its reason; it lands in ``category`` of the period's
    standard (rule kind ``manual``)."""

    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("部门"))
    period = models.ForeignKey(Period, models.PROTECT, related_name="adjustments", verbose_name=_("期间"))
    category = models.ForeignKey(Category, models.PROTECT, related_name="+", verbose_name=_("类别"))
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, help_text=_("扣分为负数"))
    reason = models.TextField(_("理由"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("录入人"))
    at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = _("人工调整")
        ordering = ["period", "department", "id"]

    def __str__(self) -> str:
        return f"{self.department} {self.period} {self.points}"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class Score(models.Model):
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("部门"))
    period = models.ForeignKey(Period, models.PROTECT, related_name="scores", verbose_name=_("期间"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    standard = models.ForeignKey(Standard, models.PROTECT, related_name="+", verbose_name=_("评估标准版本"))
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("等次"), max_length=16, choices=Grade.choices)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    # A department with no case submitted or decided and no case data received in the period has nothing to be
    # measured on: its score (only deductions can apply) is kept with its facts but it is shown as 无办件 and not
    # ranked — otherwise every idle department would top the ranking at the full base score.
    has_cases = models.BooleanField(_("本期有办件"), default=True)
    indicators = models.JSONField(_("指标"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))
    published = models.BooleanField(_("已发布"), default=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("发布人"))

    class Meta:
        verbose_name = verbose_name_plural = _("绩效得分")
        ordering = ["period", "rank", "department__code"]
        constraints = [
            models.UniqueConstraint(fields=["department", "period", "version"], name="score_unique_version"),
        ]
        indexes = [models.Index(fields=["period", "published"], name="score_period_published")]

    def __str__(self) -> str:
        return f"{self.department} {self.period} {self.total}"

    @property
    def grade_label(self) -> str:
        return GRADE_LABELS[self.grade] if self.has_cases else str(_("无办件"))


class LineKind(models.TextChoices):
    CATEGORY = "category", _("类别得分")
    DEDUCTION = "deduction", _("扣分")
    BONUS = "bonus", _("加分")
    MANUAL = "manual", _("人工调整")


class ScoreLine(models.Model):
    """One line of a score: a category's points (``kind`` category) or one rule's deduction/bonus with the facts
    behind it (``facts``: {"source", "total", "items": [...]})."""

    score = models.ForeignKey(Score, models.CASCADE, related_name="lines", verbose_name=_("得分"))
    category = models.CharField(_("类别"), max_length=32)
    category_name = models.CharField(_("类别名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=LineKind.choices)
    rule_code = models.CharField(_("规则"), max_length=48, blank=True)
    label = models.CharField(_("说明"), max_length=255)
    points = models.DecimalField(_("分值"), max_digits=7, decimal_places=2)
    weight = models.DecimalField(_("满分"), max_digits=7, decimal_places=2, null=True, blank=True)
    indicator = models.CharField(_("指标"), max_length=48, blank=True)
    indicator_value = models.FloatField(_("指标值"), null=True, blank=True)
    facts = models.JSONField(_("事实"), default=dict, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("得分明细")
        ordering = ["score", "order", "id"]

    def __str__(self) -> str:
        return f"{self.label} {self.points}"
