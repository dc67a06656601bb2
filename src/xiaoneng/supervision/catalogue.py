"""The rules of domain-rules §3 with their default settings (the seed of ``RuleConfig``).

Time-rule thresholds use the anchors of ``xiaoneng.cases.clock.Threshold``: ``days < 0`` = that many working
days before the anchor, ``days >= 0`` = one second after anchor + days working days (overdue by one second
counts). Feedback rules (consultation, complaint, rectification) and ``order_reply`` anchor on the subject's
single due instant (``"due"``).
"""

from __future__ import annotations

TIME_RULES = (
    "case_limit", "step_limit", "special_procedure", "pre_acceptance", "delivery",
    "consultation", "complaint", "rectification", "order_reply",
)
CASE_TIME_RULES = ("case_limit", "step_limit", "special_procedure", "pre_acceptance", "delivery")
IRREGULARITY_RULES = (
    "illegal_fee", "procedure_violation", "no_reason", "repeated_correction", "improper_extension",
    "late_report", "off_system", "special_reason", "no_separation",
)
ALL_RULES = TIME_RULES + IRREGULARITY_RULES
LEVELS = ("warning", "yellow", "red")


def _t(warning=None, yellow=None, red=None) -> dict:
    out = {}
    for level, spec in (("warning", warning), ("yellow", yellow), ("red", red)):
        if spec is not None:
            out[level] = {"anchor": spec[0], "days": spec[1]}
    return out


ESCALATION_DAYS = [1, 2]

# code, Chinese name, kind, subject type, default level, thresholds/params, issue mode
DEFAULT_RULES: list[dict] = [
    dict(code="case_limit", name="办件时限", kind="time", subject_type="case", default_level="",
         thresholds=_t(("promised", -2), ("promised", 0), ("statutory", 0)),
         description="承诺时限到期前2个工作日预警；超过承诺时限黄牌；超过法定时限红牌"),
    dict(code="step_limit", name="环节时限", kind="time", subject_type="case", default_level="",
         thresholds=_t(("due", -1), ("due", 0)),
         description="环节到期前1个工作日预警；环节超时黄牌"),
    dict(code="special_procedure", name="特别程序时限", kind="time", subject_type="case", default_level="",
         thresholds=_t(("due", -2), ("due", 0), ("due", 1)),
         description="特别程序结束前2个工作日预警；超过结束时间黄牌；超过1个工作日红牌"),
    dict(code="pre_acceptance", name="预审受理时限", kind="time", subject_type="case", default_level="",
         thresholds=_t(("promised", 0), ("start", 3), ("statutory", 0)),
         description="网上/代办申报超过承诺2个工作日未答复预警；3个工作日黄牌；5个工作日红牌"),
    dict(code="delivery", name="送达时限", kind="time", subject_type="case", default_level="",
         thresholds=_t(None, ("promised", 0), ("statutory", 0)),
         description="办结后超过承诺3个工作日未送达黄牌；超过10个工作日红牌"),
    dict(code="consultation", name="咨询答复时限", kind="time", subject_type="consultation", default_level="",
         thresholds=_t(("due", -2), ("due", 1), ("due", 2)),
         description="答复期限前2个工作日预警；逾期1个工作日黄牌；逾期2个工作日红牌"),
    dict(code="complaint", name="投诉办理时限", kind="time", subject_type="complaint", default_level="",
         thresholds=_t(("due", -2), ("due", 1), ("due", 2)),
         description="办理期限前2个工作日预警；逾期1个工作日黄牌；逾期2个工作日红牌"),
    dict(code="rectification", name="差评整改时限", kind="time", subject_type="rating", default_level="",
         thresholds=_t(("due", -1), ("due", 0), ("due", 3)),
         description="整改期限前1个工作日预警；逾期黄牌；逾期3个工作日红牌"),
    dict(code="order_reply", name="督办反馈时限", kind="time", subject_type="order", default_level="",
         thresholds=_t(("due", -1), ("due", 0), ("due", 2)),
         description="反馈期限前1个工作日预警；逾期黄牌；逾期2个工作日红牌"),
    dict(code="illegal_fee", name="违规收费", kind="irregularity", subject_type="case", default_level="red",
         thresholds={}, description="收费项目未在事项版本中公布，或金额与收费标准不符"),
    dict(code="procedure_violation", name="程序违规", kind="irregularity", subject_type="case",
         default_level="yellow", thresholds={}, description="缺少前置环节即作出决定，或环节顺序与配置不符"),
    dict(code="no_reason", name="无理由不予受理/不予许可", kind="irregularity", subject_type="case",
         default_level="yellow", thresholds={}, description="不予受理或不予许可未说明理由"),
    dict(code="repeated_correction", name="违反一次性告知", kind="irregularity", subject_type="case",
         default_level="yellow", thresholds={}, description="同一申请多次补正告知"),
    dict(code="improper_extension", name="违规延期", kind="irregularity", subject_type="case",
         default_level="yellow", thresholds={}, description="延期超过可延期天数、二次延期或无审批人"),
    dict(code="late_report", name="上报不及时", kind="irregularity", subject_type="case", default_level="warning",
         thresholds={"hours": 24}, description="事件发生后超过24小时才上报"),
    dict(code="off_system", name="疑似体外循环", kind="irregularity", subject_type="case", default_level="yellow",
         thresholds={"minutes": 30}, issue_mode="confirm",
         description="办件在作出决定后才首次报送平台（先批后录），或承诺件从申报到决定在一批中几分钟内报送"),
    dict(code="special_reason", name="特别程序事由不符", kind="irregularity", subject_type="case",
         default_level="warning", thresholds={}, description="特别程序事由不属于行政许可法第45条所列情形"),
    dict(code="no_separation", name="不分离", kind="irregularity", subject_type="case", default_level="warning",
         thresholds={}, description="要求审批分离的事项由同一人受理并作出决定"),
]
for _row in DEFAULT_RULES:
    _row.setdefault("issue_mode", "auto")
    _row.setdefault("escalation_days", list(ESCALATION_DAYS))
    _row.setdefault("enabled", True)

RULE_NAMES = {row["code"]: row["name"] for row in DEFAULT_RULES}
DEFAULTS_BY_CODE = {row["code"]: row for row in DEFAULT_RULES}

SPECIAL_REASONS = ("hearing", "tender", "auction", "inspection", "testing", "quarantine", "appraisal",
                   "expert_review")
