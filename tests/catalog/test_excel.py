import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from xiaoneng.catalog import excel
from xiaoneng.catalog.excel import ExcelFormatError, import_items
from xiaoneng.catalog.models import Item, ItemVersion, VersionStatus
from xiaoneng.org.models import Post

pytestmark = pytest.mark.django_db

ITEM_HEADER = ["事项编码", "事项名称", "事项类型", "实施部门编码", "办件类型", "法定时限", "承诺时限", "设定依据", "施行日期"]
STEP_HEADER = ["事项编码", "顺序", "环节编码", "环节名称", "办理岗位", "环节时限（工作日）", "协办部门编码", "并联组"]
FEE_HEADER = ["事项编码", "收费编码", "收费项目", "收费标准（元）", "收费依据"]
MAT_HEADER = ["事项编码", "序号", "材料名称", "材料形式", "份数", "必需"]


def workbook(items, steps=None, fees=None, materials=None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, header, rows in (("事项", ITEM_HEADER, items), ("环节", STEP_HEADER, steps),
                               ("收费", FEE_HEADER, fees), ("材料", MAT_HEADER, materials)):
        if rows is None:
            continue
        ws = wb.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def item_row(code, dept="DA", statutory=20, promised=10, handling="承诺件", date="2026-01-01"):
    return [code, f"食品经营许可{code}", "行政许可", dept, handling, statutory, promised, "《食品安全法》第35条", date]


STEPS = [["X1", 1, "accept", "受理", "受理员", 1], ["X1", 2, "review1", "初审", "初审", 4],
         ["X1", 3, "decide", "决定", "决定", 3]]


def results_by_row(report, sheet):
    return {r.row: r for r in report.results if r.sheet == sheet}


def test_import_creates_draft_and_reports_every_row(county):
    data = workbook([item_row("X1")], STEPS, [["X1", "F1", "工本费", 5, "发改价格〔2020〕1号"]],
                    [["X1", 1, "申请书", "原件", 1, "是"], ["X1", 2, "营业执照", "复印件", 1, "否"]])
    report = import_items(data)
    assert report.counts == {"imported": 7, "unchanged": 0, "rejected": 0}
    item = Item.objects.get(code="X1")
    version = item.versions.get()
    assert version.status == VersionStatus.DRAFT and item.current_version is None
    assert [s.code for s in version.steps.all()] == ["accept", "review1", "decide"]
    assert version.fees.get().amount == Decimal("5.00")
    assert version.materials.get(order=2).required is False
    assert str(version.effective_from) == "2026-01-01"


def test_bad_rows_are_rejected_and_never_block_good_ones(county):
    items = [
        item_row("X1"),
        item_row("X2", dept="NOPE"),                      # unknown department
        ["X3", "无类型事项", "不存在的类型", "DA", "承诺件", 20, 10, "", None],  # invalid choice
        item_row("X4", statutory="二十"),                  # not a number
        item_row("X5", date="2026-02-30"),                 # invalid date
        ["", "缺编码", "行政许可", "DA", "承诺件", 20, 10, "", None],  # missing code
        item_row("X1"),                                   # duplicate in file
        item_row("X6", promised=30),                       # imported as draft, not publishable
    ]
    fees = [["X1", "F1", "工本费", -5, ""], ["X1", "F2", "证书费", "10元", ""], ["X2", "F1", "工本费", 1, ""],
            ["ZZ", "F1", "工本费", 1, ""]]
    report = import_items(workbook(items, STEPS, fees))
    rows = results_by_row(report, "事项")
    assert rows[2].status == "imported"
    assert (rows[3].status, rows[3].code) == ("rejected", "unknown_department")
    assert (rows[4].status, rows[4].code) == ("rejected", "invalid_choice")
    assert (rows[5].status, rows[5].code) == ("rejected", "invalid_number")
    assert (rows[6].status, rows[6].code) == ("rejected", "invalid_date")
    assert "2026-02-30" in rows[6].message
    assert (rows[7].status, rows[7].code) == ("rejected", "missing_field")
    assert (rows[8].status, rows[8].code) == ("rejected", "duplicate_code")
    assert rows[9].status == "imported" and "承诺时限" in rows[9].message
    fee_rows = results_by_row(report, "收费")
    assert (fee_rows[2].status, fee_rows[2].code) == ("rejected", "negative_fee")
    assert fee_rows[3].status == "imported"
    assert (fee_rows[4].code, fee_rows[5].code) == ("item_not_imported", "unknown_item")
    assert set(Item.objects.values_list("code", flat=True)) >= {"X1", "X6"}
    assert not Item.objects.filter(code__in=["X2", "X3", "X4", "X5"]).exists()
    assert [f.code for f in Item.objects.get(code="X1").versions.get().fees.all()] == ["F2"]
    # every non-empty row has exactly one result
    assert len(results_by_row(report, "事项")) == len(items)
    assert len(report.results) == len(items) + len(STEPS) + len(fees)


def test_department_admin_imports_only_own_department(county):
    admin_a = county.a.staff[Post.DEPT_ADMIN]
    data = workbook([item_row("X1", "DA"), item_row("Y1", "DB"), item_row(county.b.version.item.code, "DA")],
                    STEPS + [["Y1", 1, "accept", "受理", "受理员", 1]])
    report = import_items(data, user=admin_a)
    rows = results_by_row(report, "事项")
    assert rows[2].status == "imported"
    assert (rows[3].status, rows[3].code) == ("rejected", "department_not_allowed")
    assert (rows[4].status, rows[4].code) == ("rejected", "department_not_allowed")  # B's item moved into A
    step_rows = results_by_row(report, "环节")
    assert step_rows[5].code == "item_not_imported"
    assert not Item.objects.filter(code="Y1").exists()
    assert Item.objects.get(code=county.b.version.item.code).department == county.b.department


def test_reimport_is_idempotent(county):
    data = workbook([item_row("X1")], STEPS, [["X1", "F1", "工本费", 5, ""]], [["X1", 1, "申请书", "原件", 1, "是"]])
    first = import_items(data, publish=True)
    assert first.items_published == 1
    second = import_items(data, publish=True)
    assert second.counts["imported"] == 0 and second.counts["unchanged"] == 6
    assert ItemVersion.objects.filter(item__code="X1").count() == 1
    # without publishing: a draft is updated in place, never duplicated
    changed = workbook([item_row("X1", promised=9)], STEPS, [["X1", "F1", "工本费", 5, ""]],
                       [["X1", 1, "申请书", "原件", 1, "是"]])
    import_items(changed)
    import_items(changed)
    versions = ItemVersion.objects.filter(item__code="X1").order_by("number")
    assert [(v.number, v.status) for v in versions] == [(1, "published"), (2, "draft")]
    assert versions[1].promised_days == 9 and versions[0].promised_days == 10
    again = import_items(changed)
    assert again.counts["imported"] == 0


def test_export_round_trip(county):
    data = excel.export_items(excel.export_queryset())
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["事项", "环节", "收费", "材料"]
    report = import_items(data, publish=True)
    assert report.counts["rejected"] == 0
    assert report.counts["imported"] == 0  # identical to the published versions
    assert ItemVersion.objects.count() == 2


def test_export_scoped_to_user(county):
    data = excel.export_items(excel.export_queryset(county.a.staff[Post.DEPT_ADMIN]))
    rows = list(load_workbook(io.BytesIO(data), read_only=True)["事项"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [county.a.version.item.code]


@pytest.mark.parametrize("payload", [b"not a workbook", b"PK\x03\x04garbage", b""])
def test_non_xlsx_file_gives_clear_message(county, payload):
    with pytest.raises(ExcelFormatError) as exc:
        import_items(payload)
    assert "Excel" in exc.value.message


def test_missing_sheet_and_column(county):
    wb = Workbook()
    wb.active.title = "Sheet1"
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ExcelFormatError, match="事项"):
        import_items(buffer.getvalue())
    wb.active.title = "事项"
    wb.active.append(["事项编码", "事项名称"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ExcelFormatError, match="实施部门编码"):
        import_items(buffer.getvalue())


def test_report_workbook_lists_every_row(county):
    report = import_items(workbook([item_row("X1"), item_row("X2", dept="NOPE")], STEPS))
    wb = load_workbook(io.BytesIO(excel.report_workbook(report)), read_only=True)
    rows = list(wb["明细"].iter_rows(values_only=True))
    assert rows[0][:4] == ("工作表", "行号", "事项编码", "结果")
    assert ("事项", 3, "X2", "已拒绝", "unknown_department") in [r[:5] for r in rows]
    assert len(rows) == 1 + 2 + 3


def test_management_command(county, tmp_path, capsys):
    path = tmp_path / "items.xlsx"
    path.write_bytes(workbook([item_row("X1")], STEPS))
    call_command("catalog", "import", str(path), "--publish", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["items_published"] == 1
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([item_row("X2", dept="NOPE")]))
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(bad))
    assert "unknown_department" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Excel"):
        call_command("catalog", "import", str(tmp_path / "missing.xlsx"))
    out_file = tmp_path / "out.xlsx"
    call_command("catalog", "export", "--out", str(out_file), "--department", "DA")
    rows = list(load_workbook(out_file, read_only=True)["事项"].iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {"X1", county.a.version.item.code}


def test_title_rows_above_the_header_are_skipped(county):
    wb = Workbook()
    ws = wb.active
    ws.title = "事项"
    ws.append(["示范县市场监督管理局 政务服务事项清单（2026 年版）"])
    ws.append([])
    ws.append(ITEM_HEADER)
    ws.append(item_row("T1"))
    buffer = io.BytesIO()
    wb.save(buffer)
    report = import_items(buffer.getvalue())
    [result] = report.results
    assert (result.row, result.status, result.item_code) == (4, "imported", "T1")


def test_rows_with_missing_cells_and_odd_types(county):
    data = workbook([["X1", "短行"], ["X2", "类型为数字", 1, "DA", "承诺件", 20.0, 10, "", "2026/3/1"]])
    report = import_items(data)
    rows = results_by_row(report, "事项")
    assert (rows[2].status, rows[2].code) == ("rejected", "missing_field")
    assert rows[3].status == "imported"
    version = Item.objects.get(code="X2").versions.get()
    assert Item.objects.get(code="X2").item_type == "01" and str(version.effective_from) == "2026-03-01"
