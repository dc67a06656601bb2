"""``xiaoneng evaluate --period YYYY-MM|YYYY-Qn|YYYY [--department CODE …] [--json] [--publish]``."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.evaluation import services


class Command(BaseCommand):
    help = "计算绩效评估得分（月度、季度或年度），可输出 JSON 并发布。"

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM、YYYY-Qn 或 YYYY")
        parser.add_argument("--department", action="append", default=[], help="部门编码（可多次）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出（含每项扣分、加分及其事实）")
        parser.add_argument("--publish", action="store_true", help="计算后发布本期得分（冻结快照）")

    def handle(self, *args, **opts):
        try:
            period = services.get_period(opts["period"])
        except services.PeriodError as exc:
            raise CommandError(str(exc)) from exc
        started = time.perf_counter()
        scores = services.evaluate_period(period, opts["department"] or None)
        elapsed = time.perf_counter() - started
        published = services.publish_period(period) if opts["publish"] else 0
        if opts["json"]:
            self.stdout.write(json.dumps({
                "period": period.key, "standard": str(period.standard), "seconds": round(elapsed, 3),
                "published": published,
                "scores": [_as_dict(s) for s in scores],
            }, ensure_ascii=False, indent=2, default=str))
            return
        self.stdout.write(f"{period.label}（{period.standard}）：{len(scores)} 个部门，用时 {elapsed:.2f} 秒")
        for s in scores:
            self.stdout.write(f"{s.rank or '-':>4}  {s.department.code:<12} {s.department.name:<24} "
                              f"{s.total:>7}  {s.grade_label}  v{s.version}")
        if opts["publish"]:
            self.stdout.write(f"已发布 {published} 个部门的得分。")


def _as_dict(score) -> dict:
    return {
        "department": score.department.code, "name": score.department.name, "total": str(score.total),
        "grade": score.grade, "grade_label": score.grade_label, "rank": score.rank,
        "version": score.version, "published": score.published, "indicators": score.indicators,
        "lines": [{"category": ln.category, "kind": ln.kind, "rule": ln.rule_code, "label": ln.label,
                   "points": str(ln.points), "indicator": ln.indicator, "indicator_value": ln.indicator_value,
                   "facts": ln.facts} for ln in score.lines.all().order_by("order", "id")],
    }
