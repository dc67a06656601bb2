"""Seed the rules of domain-rules §3 (a frozen copy of supervision.catalogue.DEFAULT_RULES)."""

from django.db import migrations

RULES = [
 {
  "code": "case_limit",
  "name": "办件时限",
  "kind": "time",
  "subject_type": "case",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "promised",
    "days": -2
   },
   "yellow": {
    "anchor": "promised",
    "days": 0
   },
   "red": {
    "anchor": "statutory",
    "days": 0
   }
  },
  "description": "承诺时限到期前2个工作日预警；超过承诺时限黄牌；超过法定时限红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "step_limit",
  "name": "环节时限",
  "kind": "time",
  "subject_type": "case",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "due",
    "days": -1
   },
   "yellow": {
    "anchor": "due",
    "days": 0
   }
  },
  "description": "环节到期前1个工作日预警；环节超时黄牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "special_procedure",
  "name": "特别程序时限",
  "kind": "time",
  "subject_type": "case",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "due",
    "days": -2
   },
   "yellow": {
    "anchor": "due",
    "days": 0
   },
   "red": {
    "anchor": "due",
    "days": 1
   }
  },
  "description": "特别程序结束前2个工作日预警；超过结束时间黄牌；超过1个工作日红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "pre_acceptance",
  "name": "预审受理时限",
  "kind": "time",
  "subject_type": "case",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "promised",
    "days": 0
   },
   "yellow": {
    "anchor": "start",
    "days": 3
   },
   "red": {
    "anchor": "statutory",
    "days": 0
   }
  },
  "description": "网上/代办申报超过承诺2个工作日未答复预警；3个工作日黄牌；5个工作日红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "delivery",
  "name": "送达时限",
  "kind": "time",
  "subject_type": "case",
  "default_level": "",
  "thresholds": {
   "yellow": {
    "anchor": "promised",
    "days": 0
   },
   "red": {
    "anchor": "statutory",
    "days": 0
   }
  },
  "description": "办结后超过承诺3个工作日未送达黄牌；超过10个工作日红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "consultation",
  "name": "咨询答复时限",
  "kind": "time",
  "subject_type": "consultation",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "due",
    "days": -2
   },
   "yellow": {
    "anchor": "due",
    "days": 1
   },
   "red": {
    "anchor": "due",
    "days": 2
   }
  },
  "description": "答复期限前2个工作日预警；逾期1个工作日黄牌；逾期2个工作日红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "complaint",
  "name": "投诉办理时限",
  "kind": "time",
  "subject_type": "complaint",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "due",
    "days": -2
   },
   "yellow": {
    "anchor": "due",
    "days": 1
   },
   "red": {
    "anchor": "due",
    "days": 2
   }
  },
  "description": "办理期限前2个工作日预警；逾期1个工作日黄牌；逾期2个工作日红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "rectification",
  "name": "差评整改时限",
  "kind": "time",
  "subject_type": "rating",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "due",
    "days": -1
   },
   "yellow": {
    "anchor": "due",
    "days": 0
   },
   "red": {
    "anchor": "due",
    "days": 3
   }
  },
  "description": "整改期限前1个工作日预警；逾期黄牌；逾期3个工作日红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "order_reply",
  "name": "督办反馈时限",
  "kind": "time",
  "subject_type": "order",
  "default_level": "",
  "thresholds": {
   "warning": {
    "anchor": "due",
    "days": -1
   },
   "yellow": {
    "anchor": "due",
    "days": 0
   },
   "red": {
    "anchor": "due",
    "days": 2
   }
  },
  "description": "反馈期限前1个工作日预警；逾期黄牌；逾期2个工作日红牌",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "illegal_fee",
  "name": "违规收费",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "red",
  "thresholds": {},
  "description": "收费项目未在事项版本中公布，或金额与收费标准不符",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "procedure_violation",
  "name": "程序违规",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "yellow",
  "thresholds": {},
  "description": "缺少前置环节即作出决定，或环节顺序与配置不符",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "no_reason",
  "name": "无理由不予受理/不予许可",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "yellow",
  "thresholds": {},
  "description": "不予受理或不予许可未说明理由",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "repeated_correction",
  "name": "违反一次性告知",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "yellow",
  "thresholds": {},
  "description": "同一申请多次补正告知",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "improper_extension",
  "name": "违规延期",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "yellow",
  "thresholds": {},
  "description": "延期超过可延期天数、二次延期或无审批人",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "late_report",
  "name": "上报不及时",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "warning",
  "thresholds": {
   "hours": 24
  },
  "description": "事件发生后超过24小时才上报",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "off_system",
  "name": "疑似体外循环",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "yellow",
  "thresholds": {
   "minutes": 30
  },
  "issue_mode": "confirm",
  "description": "办件在作出决定后才首次报送平台（先批后录），或承诺件从申报到决定在一批中几分钟内报送",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "special_reason",
  "name": "特别程序事由不符",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "warning",
  "thresholds": {},
  "description": "特别程序事由不属于行政许可法第45条所列情形",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 },
 {
  "code": "no_separation",
  "name": "不分离",
  "kind": "irregularity",
  "subject_type": "case",
  "default_level": "warning",
  "thresholds": {},
  "description": "要求审批分离的事项由同一人受理并作出决定",
  "issue_mode": "auto",
  "escalation_days": [
   1,
   2
  ],
  "enabled": True
 }
]


def seed(apps, schema_editor):
    RuleConfig = apps.get_model("supervision", "RuleConfig")
    for row in RULES:
        RuleConfig.objects.update_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})


def unseed(apps, schema_editor):
    apps.get_model("supervision", "RuleConfig").objects.filter(code__in=[r["code"] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
