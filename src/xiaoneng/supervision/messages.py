"""Chinese message templates per rule and level (the text of an alert and of its notifications).

Placeholders: ``{no}`` (case / subject number), ``{item}`` (item name or subject label), ``{step}`` (step
name or code), ``{due}`` (local due time), ``{detail}`` (what an irregularity found).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django.utils import timezone

from .catalogue import RULE_NAMES

LEVEL_NAMES = {"warning": "预警", "yellow": "黄牌", "red": "红牌"}
SUBJECT_NAMES = {"case": "办件", "consultation": "咨询", "complaint": "投诉", "rating": "差评整改", "order": "督办单"}

TEMPLATES: dict[tuple[str, str], str] = {
    ("case_limit", "warning"): "办件编号为{no}的{item}将于{due}到达承诺时限，请抓紧办理",
    ("case_limit", "yellow"): "办件编号为{no}的{item}已超过承诺时限，请速办理",
    ("case_limit", "red"): "办件编号为{no}的{item}已超过法定时限，请速办理",
    ("step_limit", "warning"): "办件编号为{no}的{item}“{step}”环节将于{due}到期，请抓紧办理",
    ("step_limit", "yellow"): "办件编号为{no}的{item}“{step}”环节已超时，请速办理",
    ("step_limit", "red"): "办件编号为{no}的{item}“{step}”环节严重超时，请速办理",
    ("special_procedure", "warning"): "办件编号为{no}的{item}特别程序将于{due}结束，请及时恢复办理",
    ("special_procedure", "yellow"): "办件编号为{no}的{item}特别程序已超过申请期限，请速恢复办理",
    ("special_procedure", "red"): "办件编号为{no}的{item}特别程序超期1个工作日以上，请速恢复办理",
    ("pre_acceptance", "warning"): "办件编号为{no}的{item}网上申报已超过承诺预审时限未答复，请速处理",
    ("pre_acceptance", "yellow"): "办件编号为{no}的{item}网上申报已3个工作日未答复，请速处理",
    ("pre_acceptance", "red"): "办件编号为{no}的{item}网上申报已超过5个工作日法定时限未答复，视为受理",
    ("delivery", "yellow"): "办件编号为{no}的{item}已办结但超过承诺时限未送达，请速送达",
    ("delivery", "red"): "办件编号为{no}的{item}办结后超过10个工作日未送达，请速送达",
    ("consultation", "warning"): "咨询{no}将于{due}到达答复期限，请及时答复",
    ("consultation", "yellow"): "咨询{no}已逾期未答复，请速答复",
    ("consultation", "red"): "咨询{no}逾期2个工作日未答复，请速答复",
    ("complaint", "warning"): "投诉{no}将于{due}到达办理期限，请及时办理",
    ("complaint", "yellow"): "投诉{no}已逾期未办结，请速办理",
    ("complaint", "red"): "投诉{no}逾期2个工作日未办结，请速办理",
    ("rectification", "warning"): "差评{no}将于{due}到达整改期限，请及时整改",
    ("rectification", "yellow"): "差评{no}已超过整改期限，请速整改",
    ("rectification", "red"): "差评{no}超过整改期限3个工作日，请速整改",
    ("order_reply", "warning"): "督办单{no}将于{due}到达反馈期限，请及时反馈",
    ("order_reply", "yellow"): "督办单{no}已超过反馈期限，请速反馈",
    ("order_reply", "red"): "督办单{no}超过反馈期限2个工作日，请速反馈",
}
IRREGULARITY_TEMPLATE = "办件编号为{no}的{item}存在{rule}：{detail}"


def local_str(at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(_tz()).strftime("%Y-%m-%d %H:%M")


@lru_cache(maxsize=1)
def _tz():
    return timezone.get_default_timezone()


def render(rule: str, level: str, *, no: str = "", item: str = "", step: str = "", due: datetime | None = None,
           detail: str = "") -> str:
    template = TEMPLATES.get((rule, level))
    if template is None:
        template = IRREGULARITY_TEMPLATE if detail else "{no}触发{rule}{level}"
    return template.format(no=no, item=item or "事项", step=step, due=local_str(due), detail=detail,
                           rule=RULE_NAMES.get(rule, rule), level=LEVEL_NAMES.get(level, level))


_PG_ARGS = {"no": "%1$s", "item": "%2$s", "step": "%3$s", "due": "%4$s", "rule": "%5$s"}


@lru_cache(maxsize=1)
def pg_formats() -> dict[str, str]:
    """The time-rule templates as PostgreSQL ``format()`` strings, so the sweep renders messages in SQL with the
    same text as :func:`render`. Arguments: no, item, step, due (local text), rule code. Keyed "rule/level",
    plus one key per level for a rule without a template."""
    marks = {name: f"\0{name}\0" for name in _PG_ARGS}

    def convert(template: str, rule_name: str, level: str) -> str:
        text = template.format(**{**marks, "rule": rule_name}, level=LEVEL_NAMES[level], detail="")
        text = text.replace("%", "%%")
        for name, arg in _PG_ARGS.items():
            text = text.replace(marks[name], arg)
        return text

    out = {level: convert("{no}触发{rule}{level}", marks["rule"], level) for level in LEVEL_NAMES}
    for code, name in RULE_NAMES.items():
        for level in LEVEL_NAMES:
            template = TEMPLATES.get((code, level), "{no}触发{rule}{level}")
            out[f"{code}/{level}"] = convert(template, str(name), level)
    return out


def title(rule: str, level: str) -> str:
    return f"【{LEVEL_NAMES.get(level, level)}】{RULE_NAMES.get(rule, rule)}"
