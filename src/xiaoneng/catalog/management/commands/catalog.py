"""``xiaoneng catalog import FILE [--publish] [--json] [--report OUT]`` and
``xiaoneng catalog export --out FILE [--department CODE]`` / ``xiaoneng catalog template --out FILE``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.catalog import excel
from xiaoneng.org.models import User


class Command(BaseCommand):
    help = "Import or export service items (事项) as an Excel workbook (sheets 事项, 环节, 收费, 材料)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import a workbook row by row, with a report.")
        imp.add_argument("file")
        imp.add_argument("--publish", action="store_true", help="Publish every valid imported draft.")
        imp.add_argument("--json", action="store_true", help="Print the report as JSON.")
        imp.add_argument("--report", help="Also write the row report as an .xlsx file.")
        imp.add_argument("--user", help="Import as this user (limited to the departments they administer).")
        exp = sub.add_parser("export", help="Export items as the import workbook.")
        exp.add_argument("--out", required=True)
        exp.add_argument("--department", help="Only this department's items (department code).")
        tpl = sub.add_parser("template", help="Write an empty import template.")
        tpl.add_argument("--out", required=True)

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_import(self, file, publish=False, json=False, report=None, user=None, **_):
        acting = None
        if user:
            acting = User.objects.filter(username=user, is_active=True).first()
            if acting is None:
                raise CommandError(f"用户“{user}”不存在或已停用。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}（需要 Excel .xlsx 文件）")
        try:
            with path.open("rb") as fh:
                result = excel.import_items(fh, user=acting, publish=publish)
        except excel.ExcelFormatError as exc:
            raise CommandError(exc.message) from None
        if report:
            excel.report_workbook(result, report)
        if json:
            self.stdout.write(_json_dumps(result.to_dict()))
        else:
            self.stdout.write(result.summary())
            for row in result.sorted_results():
                if row.status == excel.REJECTED:
                    self.stdout.write(f"  [{row.sheet} 第{row.row}行] {row.item_code} {row.code}: {row.message}")
        if result.rejected:
            raise CommandError(f"{len(result.rejected)} 行被拒绝（其余行已导入）。", returncode=2)

    def do_export(self, out, department=None, **_):
        items = excel.export_queryset(department_code=department)
        if department and not items.exists():
            raise CommandError(f"部门“{department}”没有事项，或部门编码不存在。")
        excel.export_items(items, out)
        self.stdout.write(f"已导出 {items.count()} 个事项到 {out}")

    def do_template(self, out, **_):
        excel.template_workbook(out)
        self.stdout.write(f"导入模板已写入 {out}")


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
