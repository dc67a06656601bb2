"""The default scoring standard of domain-rules §5 as plain data (shipped by migration 0002, used by tests).

Category mapping (which facts land where)
----------------------------------------
| category | weight | cards (rule codes; every 3 warnings −3, yellow −5, red −10) | other rules |
| --- | --- | --- | --- |
| openness 公开透明 | 10 | late_report | data reported late −1 per 1 % below 100 % 数据上报及时率, cap −5 |
| process 程序规范 | 14 | procedure_violation, no_reason, repeated_correction, improper_extension, off_system, special_reason, no_separation | |
| time_limits 依法时限 | 14 | case_limit, step_limit, special_procedure, pre_acceptance, delivery | bonuses: 提前办结 +1 at 10 %, +1 per further 10 %; 承诺提速 +3 at 30 %, +1 per further 10 % |
| fees 收费规范 | 8 | illegal_fee | verified complaint of type 乱收费 −2 |
| satisfaction 群众满意 | 10 | rectification | 差评 not rectified in time −2 |
| attitude 服务态度 | 10 | consultation, complaint | verified complaint (违规办理, 服务态度, 其他) −2 |
| oversight 监督整改 | 14 | order_reply | supervision order (督办单) issued −1 (*) |
| liability 法律责任 | 10 | | accountability record (问责) −5 (*); manual sanctions with a reason |
| integrity 廉洁从政 | 10 | | verified complaint of type 吃拿卡要 −2 |

(*) §5 sets no points for supervision orders and accountability records: these are project defaults, editable
in a new version of the standard like every other number. "Every 3 warnings" is counted per category.
A card belongs to the period in which its threshold passed (``due_at``); revoked, dismissed and pending cards
never count (``Alert.COUNTED_STATUSES``).
"""

DEFAULT_NAME = "绩效量化测评标准（默认）"

CARD_CATEGORIES = {
    "openness": ["late_report"],
    "process": ["procedure_violation", "no_reason", "repeated_correction", "improper_extension", "off_system",
                "special_reason", "no_separation"],
    "time_limits": ["case_limit", "step_limit", "special_procedure", "pre_acceptance", "delivery"],
    "fees": ["illegal_fee"],
    "satisfaction": ["rectification"],
    "attitude": ["consultation", "complaint"],
    "oversight": ["order_reply"],
}

CATEGORIES = [  # code, name, weight
    ("openness", "公开透明", "10"),
    ("process", "程序规范", "14"),
    ("time_limits", "依法时限", "14"),
    ("fees", "收费规范", "8"),
    ("satisfaction", "群众满意", "10"),
    ("attitude", "服务态度", "10"),
    ("oversight", "监督整改", "14"),
    ("liability", "法律责任", "10"),
    ("integrity", "廉洁从政", "10"),
]


def _card_rules(rules: list[str]) -> list[dict]:
    return [
        dict(code="warnings", name="预警每3次扣3分", kind="per_n", source="cards", level="warning",
             filters={"rules": rules}, n=3, points="-3"),
        dict(code="yellow", name="黄牌每张扣5分", kind="per_card", source="cards", level="yellow",
             filters={"rules": rules}, points="-5"),
        dict(code="red", name="红牌每张扣10分", kind="per_card", source="cards", level="red",
             filters={"rules": rules}, points="-10"),
    ]


def default_rules() -> dict[str, list[dict]]:
    rules: dict[str, list[dict]] = {code: _card_rules(CARD_CATEGORIES[code]) if code in CARD_CATEGORIES else []
                                    for code, _, _ in CATEGORIES}
    rules["openness"].append(dict(
        code="late_data", name="数据上报不及时每1%扣1分（最多扣5分）", kind="rate_deduction",
        indicator="data_timeliness_rate", source="late_events", points="-1", cap="-5"))
    rules["time_limits"] += [
        dict(code="early_bonus", name="提前办结率达10%加1分，每再提高10%加1分", kind="threshold_bonus",
             indicator="early_rate", source="early_cases", threshold="0.10", points="1", step="0.10",
             step_points="1"),
        dict(code="speedup_bonus", name="承诺时限比法定时限压缩30%以上加3分，每再压缩10%加1分",
             kind="threshold_bonus", indicator="promised_speedup_rate", source="speedup_items", threshold="0.30",
             points="3", step="0.10", step_points="1"),
    ]
    rules["fees"].append(dict(code="complaints", name="乱收费投诉属实每件扣2分", kind="per_fact",
                              source="verified_complaints", filters={"type": ["fees"]}, points="-2"))
    rules["attitude"].append(dict(code="complaints", name="投诉属实每件扣2分", kind="per_fact",
                                  source="verified_complaints",
                                  filters={"type": ["irregular", "attitude", "other"]}, points="-2"))
    rules["integrity"].append(dict(code="complaints", name="吃拿卡要投诉属实每件扣2分", kind="per_fact",
                                   source="verified_complaints", filters={"type": ["extortion"]}, points="-2"))
    rules["satisfaction"].append(dict(code="bad_not_rectified", name="差评未按时整改每件扣2分", kind="per_fact",
                                      source="bad_not_rectified", points="-2"))
    rules["oversight"].append(dict(code="orders", name="被督办每件扣1分", kind="per_fact",
                                   source="supervision_orders", points="-1"))
    rules["liability"] += [
        dict(code="accountability", name="被问责每人次扣5分", kind="per_fact", source="accountabilities",
             points="-5"),
        dict(code="manual", name="人工认定的扣分（附理由）", kind="manual"),
    ]
    return rules


def install_default(Standard, Category, ScoringRule, published_at=None):
    """Create (or return) version 1 of the default standard, published. Works with historical models."""
    from decimal import Decimal

    existing = Standard.objects.filter(name=DEFAULT_NAME, number=1).first()
    if existing:
        return existing
    std = Standard.objects.create(name=DEFAULT_NAME, number=1, status="draft", base=Decimal("100"),
                                  description="domain-rules §5 默认标准")
    all_rules = default_rules()
    for order, (code, name, weight) in enumerate(CATEGORIES, start=1):
        cat = Category.objects.create(standard=std, code=code, name=name, weight=Decimal(weight), order=order)
        for r_order, rule in enumerate(all_rules[code], start=1):
            data = dict(rule)
            for key in ("points", "cap", "threshold", "step", "step_points"):
                if key in data:
                    data[key] = Decimal(data[key])
            ScoringRule.objects.create(category=cat, order=r_order, **data)
    Standard.objects.filter(pk=std.pk).update(status="published", published_at=published_at)
    std.refresh_from_db()
    return std


def default_spec():
    """The default standard as a pure ``scoring.StandardSpec`` (no database), e.g. for tests."""
    from .scoring import CategorySpec, RuleSpec, StandardSpec

    rules = default_rules()
    return StandardSpec(DEFAULT_NAME, 1, tuple(
        CategorySpec(code, name, weight, tuple(RuleSpec(**r) for r in rules[code]))
        for code, name, weight in CATEGORIES))
