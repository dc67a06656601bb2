"""Excel import and export of service items (the workbook departments hand in their item lists with).

One workbook, four sheets keyed by the item code: 事项 (one row per item), 环节, 收费, 材料. Columns are found by
their header text, so their order does not matter; a trailing ``*`` marks a required column and is ignored.

Import is row by row: every non-empty row gets a result (imported / unchanged / rejected, with the sheet, the row
number and a reason); a rejected row never blocks a valid one, and each item is written in its own savepoint.
An item's steps, fees and materials are replaced by the rows of the matching sheet (a sheet left out of the
workbook keeps what the item had). Re-importing the same file is idempotent: an item whose content equals its
published version stays unchanged; otherwise its draft is updated, or a new draft is made from the published one.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from xiaoneng.org.models import Department, Post
from xiaoneng.org.scoping import managed_department_ids

from . import services
from .models import Fee, HandlingType, Item, ItemType, ItemVersion, LimitUnit, Material, Step, VersionStatus
from .services import CatalogError, FeeSpec, MaterialSpec, StepSpec

SHEET_ITEMS, SHEET_STEPS, SHEET_FEES, SHEET_MATERIALS = "事项", "环节", "收费", "材料"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

IMPORTED, UNCHANGED, REJECTED = "imported", "unchanged", "rejected"
STATUS_LABELS = {IMPORTED: "已导入", UNCHANGED: "无变化", REJECTED: "已拒绝"}


class ExcelFormatError(Exception):
    """The file as a whole cannot be read (not an xlsx workbook, a missing sheet or column)."""

    def __init__(self, message: str, code: str = "bad_file"):
        super().__init__(message)
        self.message = message
        self.code = code


class CellError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- columns ---------------------------------------------------------------------------------------------

def _msgid(text) -> str:
    """The untranslated (Chinese) label: the workbook format does not depend on the UI language."""
    with translation.override(None):
        return str(text)


def _choice_parser(choices, label: str, aliases: dict[str, str] | None = None) -> Callable[[Any], str]:
    lookup = {}
    for value, text in choices:
        lookup[str(value).lower()] = value
        lookup[_msgid(text).lower()] = value
    for alias, value in (aliases or {}).items():
        lookup[alias.lower()] = value

    def parse(raw):
        key = str(int(raw)).zfill(2) if isinstance(raw, (int, float)) and label == "事项类型" else str(raw).strip()
        value = lookup.get(key.lower())
        if value is None:
            allowed = "、".join(_msgid(text) for _, text in choices)
            raise CellError("invalid_choice", f"{label}“{raw}”无效，可选：{allowed}。")
        return value
    return parse


def _text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, (dt.datetime, dt.date)):
        return raw.isoformat()
    return str(raw).strip()


def _int(label: str) -> Callable[[Any], int]:
    def parse(raw):
        if isinstance(raw, bool):
            raise CellError("invalid_number", f"{label}“{raw}”不是整数。")
        if isinstance(raw, float):
            if not raw.is_integer():
                raise CellError("invalid_number", f"{label}“{raw}”不是整数。")
            raw = int(raw)
        if isinstance(raw, str):
            text = raw.strip()
            if not text.lstrip("-").isdigit():
                raise CellError("invalid_number", f"{label}“{raw}”不是整数。")
            raw = int(text)
        if not isinstance(raw, int):
            raise CellError("invalid_number", f"{label}“{raw}”不是整数。")
        if raw < 0:
            raise CellError("negative_number", f"{label}不能为负数（{raw}）。")
        if raw > 100000:
            raise CellError("invalid_number", f"{label}“{raw}”超出合理范围。")
        return raw
    return parse


def _amount(raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", "").removesuffix("元"))
    except (InvalidOperation, ValueError):
        raise CellError("invalid_number", f"收费标准“{raw}”不是有效金额。") from None
    if not value.is_finite():
        raise CellError("invalid_number", f"收费标准“{raw}”不是有效金额。")
    if value < 0:
        raise CellError("negative_fee", f"收费标准不能为负数（{value}）。")
    if value >= Decimal("1e10"):
        raise CellError("invalid_number", f"收费标准“{raw}”超出范围。")
    return value.quantize(Decimal("0.01"))


TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "可", "需要", "必需", "必须"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "x", "不", "不需要", "非必需", "可选"}


def _bool(label: str) -> Callable[[Any], bool]:
    def parse(raw):
        if isinstance(raw, bool):
            return raw
        text = _text(raw).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise CellError("invalid_choice", f"{label}“{raw}”无效，请填写“是”或“否”。")
    return parse


def _date(raw) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        try:
            return from_excel(raw).date()
        except (ValueError, OverflowError, TypeError):
            pass
    text = _text(raw).replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return dt.date(year, month, day)
    except (ValueError, TypeError):
        raise CellError("invalid_date", f"日期“{raw}”无效，请使用 YYYY-MM-DD 格式。") from None


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    parse: Callable[[Any], Any] = _text
    default: Any = ""
    max_length: int | None = None
    export: Callable[[Any], Any] | None = None


def _label(choices) -> Callable[[Any], str]:
    mapping = {value: _msgid(text) for value, text in choices}
    return lambda value: mapping.get(value, value)


def _yes_no(value) -> str:
    return "是" if value else "否"


ITEM_TYPE_PARSE = _choice_parser(ItemType.choices, "事项类型")
ITEM_COLUMNS = [
    Column("事项编码", "code", True, max_length=64),
    Column("事项名称", "name", True, max_length=200),
    Column("事项类型", "item_type", True, ITEM_TYPE_PARSE, export=_label(ItemType.choices)),
    Column("实施部门编码", "department", True, max_length=32),
    Column("办件类型", "handling_type", False,
           _choice_parser(HandlingType.choices, "办件类型", {"即办": "instant", "承诺": "promised",
                                                           "上报": "report", "并联": "joint", "并联审批": "joint"}),
           HandlingType.PROMISED, export=_label(HandlingType.choices)),
    Column("法定时限", "statutory_days", True, _int("法定时限")),
    Column("承诺时限", "promised_days", True, _int("承诺时限")),
    Column("时限单位", "limit_unit", False, _choice_parser(LimitUnit.choices, "时限单位"), LimitUnit.WORKDAY,
           export=_label(LimitUnit.choices)),
    Column("可延期天数", "max_extension_days", False, _int("可延期天数"), 10),
    Column("设定依据", "legal_basis"),
    Column("受理条件", "conditions"),
    Column("办理程序说明", "procedure"),
    Column("办理地点", "location", max_length=255),
    Column("办理时间", "office_hours", max_length=128),
    Column("咨询电话", "consult_phone", max_length=32),
    Column("投诉电话", "complaint_phone", max_length=32),
    Column("到现场次数", "visits_required", False, _int("到现场次数"), 1),
    Column("可网上申报", "online", False, _bool("可网上申报"), True, export=_yes_no),
    Column("审批分离", "separation_required", False, _bool("审批分离"), False, export=_yes_no),
    Column("上报部门编码", "report_to", max_length=32),
    Column("施行日期", "effective_from", False, _date, None),
    Column("主题分类", "life_event", max_length=64),
    Column("关键词", "keywords", max_length=255),
]
STEP_COLUMNS = [
    Column("事项编码", "item_code", True),
    Column("顺序", "order", False, _int("顺序"), None),
    Column("环节编码", "code", True, max_length=32),
    Column("环节名称", "name", True, max_length=64),
    Column("办理岗位", "post", True, _choice_parser(Post.choices, "办理岗位"), export=_label(Post.choices)),
    Column("环节时限（工作日）", "days", True, _int("环节时限")),
    Column("协办部门编码", "department_code", max_length=32),
    Column("并联组", "parallel_group", max_length=16),
]
FEE_COLUMNS = [
    Column("事项编码", "item_code", True),
    Column("收费编码", "code", True, max_length=32),
    Column("收费项目", "name", True, max_length=128),
    Column("收费标准（元）", "amount", True, _amount),
    Column("收费依据", "basis"),
]
MATERIAL_COLUMNS = [
    Column("事项编码", "item_code", True),
    Column("序号", "order", False, _int("序号"), None),
    Column("材料名称", "name", True, max_length=255),
    Column("材料形式", "form", False, default="原件", max_length=32),
    Column("份数", "copies", False, _int("份数"), 1),
    Column("必需", "required", False, _bool("必需"), True, export=_yes_no),
    Column("说明", "note", max_length=255),
]
SHEETS = {SHEET_ITEMS: ITEM_COLUMNS, SHEET_STEPS: STEP_COLUMNS, SHEET_FEES: FEE_COLUMNS,
          SHEET_MATERIALS: MATERIAL_COLUMNS}
KEY_HEADERS = {"事项编码"}
MAX_TITLE_ROWS = 5
HEADER_ALIASES = {"环节时限": "环节时限（工作日）", "时限（工作日）": "环节时限（工作日）", "收费标准": "收费标准（元）",
                  "金额": "收费标准（元）", "部门编码": "实施部门编码", "类型": "事项类型"}


# --- results ---------------------------------------------------------------------------------------------

@dataclass
class RowResult:
    sheet: str
    row: int
    item_code: str
    status: str
    code: str
    message: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)
    items_created: int = 0
    items_updated: int = 0
    items_published: int = 0
    items_unchanged: int = 0

    def add(self, sheet, row, item_code, status, code, message) -> RowResult:
        result = RowResult(sheet, row, item_code, status, code, message)
        self.results.append(result)
        return result

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.results if r.status == REJECTED]

    @property
    def counts(self) -> dict[str, int]:
        counts = {IMPORTED: 0, UNCHANGED: 0, REJECTED: 0}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts

    def sorted_results(self) -> list[RowResult]:
        order = {name: i for i, name in enumerate(SHEETS)}
        return sorted(self.results, key=lambda r: (order.get(r.sheet, 9), r.row))

    def summary(self) -> str:
        c = self.counts
        return (f"共 {len(self.results)} 行：导入 {c[IMPORTED]} 行，无变化 {c[UNCHANGED]} 行，拒绝 {c[REJECTED]} 行；"
                f"新建事项 {self.items_created} 个，更新 {self.items_updated} 个，发布 {self.items_published} 个。")

    def to_dict(self) -> dict:
        return {
            "counts": self.counts, "items_created": self.items_created, "items_updated": self.items_updated,
            "items_published": self.items_published, "items_unchanged": self.items_unchanged,
            "results": [asdict(r) for r in self.sorted_results()],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        report = cls(items_created=data.get("items_created", 0), items_updated=data.get("items_updated", 0),
                     items_published=data.get("items_published", 0),
                     items_unchanged=data.get("items_unchanged", 0))
        report.results = [RowResult(**r) for r in data.get("results", [])]
        return report


# --- reading ---------------------------------------------------------------------------------------------

@dataclass
class ParsedRow:
    sheet: str
    row: int
    values: dict

    @property
    def item_code(self) -> str:
        return self.values.get("code" if self.sheet == SHEET_ITEMS else "item_code", "")


def _open(source):
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        if hasattr(source, "seek"):
            source.seek(0)
        return load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError):
        raise ExcelFormatError("文件不是有效的 Excel 工作簿（.xlsx）。请使用导入模板另存为 .xlsx 后重新上传。") from None
    except Exception:  # openpyxl raises many types on corrupt archives; the user only needs to know it is unreadable
        raise ExcelFormatError("Excel 文件已损坏或格式不受支持，无法读取。") from None


def _header_map(sheet_name: str, header_row: Iterable, columns: list[Column]) -> dict[int, Column]:
    by_header = {c.header: c for c in columns}
    mapping: dict[int, Column] = {}
    for index, raw in enumerate(header_row):
        if raw is None:
            continue
        text = str(raw).strip().rstrip("*＊").strip()
        text = HEADER_ALIASES.get(text, text)
        if text in by_header and by_header[text] not in mapping.values():
            mapping[index] = by_header[text]
    missing = [c.header for c in columns if c.required and c not in mapping.values()]
    if missing:
        raise ExcelFormatError(f"工作表“{sheet_name}”缺少必填列：{'、'.join(missing)}。请使用导入模板。",
                               "missing_column")
    return mapping


def _parse_sheet(ws, sheet_name: str, columns: list[Column], report: ImportReport) -> list[ParsedRow]:
    rows: list[ParsedRow] = []
    iterator: Iterator = ws.iter_rows(values_only=True)
    # departments often put a title row or two above the header: the header is the first row naming the key column
    header, header_number = None, 0
    for header_number, candidate in enumerate(iterator, start=1):
        if any(str(cell).strip().rstrip("*＊").strip() in KEY_HEADERS for cell in candidate if cell is not None):
            header = candidate
            break
        if header_number >= MAX_TITLE_ROWS:
            break
    if header is None:
        if sheet_name == SHEET_ITEMS:
            raise ExcelFormatError(f"工作表“{sheet_name}”中找不到表头（需要“事项编码”列）。请使用导入模板。", "missing_column")
        if header_number == 0:
            return rows
        raise ExcelFormatError(f"工作表“{sheet_name}”中找不到表头（需要“事项编码”列）。请使用导入模板。", "missing_column")
    mapping = _header_map(sheet_name, header, columns)
    for number, raw_row in enumerate(iterator, start=header_number + 1):
        cells = {col: raw_row[i] if i < len(raw_row) else None for i, col in mapping.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        values: dict[str, Any] = {}
        errors: list[CellError] = []
        code_col = "code" if sheet_name == SHEET_ITEMS else "item_code"
        for column, raw in cells.items():
            empty = raw is None or (isinstance(raw, str) and not raw.strip())
            if empty:
                if column.required:
                    errors.append(CellError("missing_field", f"“{column.header}”不能为空。"))
                values[column.key] = column.default
                continue
            try:
                value = column.parse(raw)
            except CellError as exc:
                errors.append(CellError(exc.code, f"“{column.header}”：{exc.message}"))
                continue
            if column.max_length and isinstance(value, str) and len(value) > column.max_length:
                errors.append(CellError("too_long", f"“{column.header}”超过 {column.max_length} 个字符。"))
                continue
            values[column.key] = value
        for column in columns:
            values.setdefault(column.key, column.default)
        raw_code = next((raw for col, raw in cells.items() if col.key == code_col), None)
        item_code = values.get(code_col) or ("" if raw_code is None else _text(raw_code))
        if errors:
            report.add(sheet_name, number, str(item_code or ""), REJECTED, errors[0].code,
                       "；".join(e.message for e in errors))
            continue
        rows.append(ParsedRow(sheet_name, number, values))
    return rows


def read_workbook(source, report: ImportReport) -> dict[str, list[ParsedRow] | None]:
    """Parse every sheet row by row; rows with bad cells are reported and left out. A missing child sheet is None."""
    workbook = _open(source)
    try:
        names = {name.strip(): name for name in workbook.sheetnames}
        if SHEET_ITEMS not in names:
            raise ExcelFormatError(f"工作簿中没有“{SHEET_ITEMS}”工作表。请使用导入模板（工作表：事项、环节、收费、材料）。",
                                   "missing_sheet")
        parsed: dict[str, list[ParsedRow] | None] = {}
        for sheet_name, columns in SHEETS.items():
            if sheet_name not in names:
                parsed[sheet_name] = None
                continue
            parsed[sheet_name] = _parse_sheet(workbook[names[sheet_name]], sheet_name, columns, report)
        return parsed
    finally:
        workbook.close()


# --- importing -------------------------------------------------------------------------------------------

class _Unchanged(Exception):
    """Raised inside a savepoint to roll back a draft identical to the published version."""


def import_items(source, *, user=None, publish: bool = False) -> ImportReport:
    """Import a workbook (path, file object or bytes). ``user`` limits the departments (None = the system).

    Raises ``ExcelFormatError`` only when the file as a whole is unreadable; everything else is in the report.
    """
    report = ImportReport()
    parsed = read_workbook(source, report)
    allowed = None if user is None else managed_department_ids(user)
    item_rows = parsed[SHEET_ITEMS] or []

    wanted_codes = {r.values["department"] for r in item_rows} | {r.values["report_to"] for r in item_rows}
    for sheet in (SHEET_STEPS,):
        wanted_codes |= {r.values["department_code"] for r in parsed[sheet] or []}
    departments = {d.code: d for d in Department.objects.filter(code__in=[c for c in wanted_codes if c])}
    existing = {i.code: i for i in Item.objects.filter(code__in=[r.values["code"] for r in item_rows])
                .select_related("current_version")}

    accepted: dict[str, ParsedRow] = {}
    refused_codes: set[str] = set()
    seen_codes: set[str] = set()
    for row in item_rows:
        v = row.values
        code = v["code"]
        department = departments.get(v["department"])
        problem = None
        if code in seen_codes:
            problem = ("duplicate_code", f"事项编码“{code}”在本表中重复（以第一次出现的行为准）。")
        elif department is None:
            problem = ("unknown_department", f"实施部门编码“{v['department']}”不存在。")
        elif allowed is not None and department.id not in allowed:
            problem = ("department_not_allowed", f"您无权导入“{department.name}”的事项，只能导入本部门事项。")
        elif code in existing and allowed is not None and existing[code].department_id not in allowed:
            problem = ("department_not_allowed", f"事项“{code}”属于其他部门，您无权修改。")
        elif v["report_to"] and v["report_to"] not in departments:
            problem = ("unknown_department", f"上报部门编码“{v['report_to']}”不存在。")
        if problem:
            report.add(SHEET_ITEMS, row.row, code, REJECTED, *problem)
            if problem[0] != "duplicate_code":
                refused_codes.add(code)
                seen_codes.add(code)
            continue
        seen_codes.add(code)
        accepted[code] = row

    refused_codes |= {r.item_code for r in report.results if r.sheet == SHEET_ITEMS and r.status == REJECTED}
    children: dict[str, dict[str, list[ParsedRow]]] = defaultdict(lambda: defaultdict(list))
    for sheet in (SHEET_STEPS, SHEET_FEES, SHEET_MATERIALS):
        seen: set[tuple[str, str]] = set()
        for row in parsed[sheet] or []:
            code = row.item_code
            if code not in accepted:
                reason = ("item_not_imported", f"所属事项“{code}”未导入（见事项表中的拒绝原因）。") \
                    if code in refused_codes else ("unknown_item", f"事项表中没有事项编码“{code}”。")
                report.add(sheet, row.row, code, REJECTED, *reason)
                continue
            if sheet in (SHEET_STEPS, SHEET_FEES):
                key = (code, row.values["code"])
                if key in seen:
                    report.add(sheet, row.row, code, REJECTED, "duplicate_code",
                               f"{'环节' if sheet == SHEET_STEPS else '收费'}编码“{row.values['code']}”在该事项中重复。")
                    continue
                seen.add(key)
            if sheet == SHEET_STEPS and row.values["department_code"] and \
                    row.values["department_code"] not in departments:
                report.add(sheet, row.row, code, REJECTED, "unknown_department",
                           f"协办部门编码“{row.values['department_code']}”不存在。")
                continue
            children[code][sheet].append(row)

    for code, row in accepted.items():
        _import_item(row, children[code], parsed, departments, existing.get(code), user, publish, report)
    return report


def _version_values(v: dict, departments: dict) -> dict:
    values = {c.key: v[c.key] for c in ITEM_COLUMNS if c.key in services.VERSION_FIELDS}
    values["report_to"] = departments.get(v["report_to"]) if v["report_to"] else None
    return values


def _ordered(rows: list[ParsedRow]) -> list[ParsedRow]:
    return sorted(rows, key=lambda r: (r.values.get("order") if r.values.get("order") is not None else 10**6, r.row))


def _import_item(row: ParsedRow, kids: dict[str, list[ParsedRow]], parsed, departments, item: Item | None,
                 user, publish: bool, report: ImportReport) -> None:
    v = row.values
    code = v["code"]
    department = departments[v["department"]]
    child_rows = [r for sheet in (SHEET_STEPS, SHEET_FEES, SHEET_MATERIALS) for r in kids.get(sheet, [])]
    try:
        with transaction.atomic():
            created = item is None
            item_changed = False
            if created:
                item = Item.objects.create(code=code, name=v["name"], item_type=v["item_type"],
                                           department=department, life_event=v["life_event"],
                                           keywords=v["keywords"])
            else:
                for name, value in (("name", v["name"]), ("item_type", v["item_type"]),
                                    ("department_id", department.id), ("life_event", v["life_event"]),
                                    ("keywords", v["keywords"])):
                    if getattr(item, name) != value:
                        setattr(item, name, value)
                        item_changed = True
                if item_changed:
                    item.save()
            try:
                with transaction.atomic():
                    draft, new_draft, draft_changed = _write_draft(item, created, v, kids, parsed, departments)
            except _Unchanged:
                draft = None
            if draft is None:
                # the guide equals the published version: no new version (the copy was rolled back)
                current = item.current_version
                if item_changed:
                    report.items_updated += 1
                    outcome, outcome_code = IMPORTED, "item_updated"
                    message = f"事项基本信息已更新；办事指南与现行版本 v{current.number} 相同，未新建版本。"
                else:
                    report.items_unchanged += 1
                    outcome, outcome_code = UNCHANGED, "unchanged"
                    message = f"与现行版本 v{current.number} 相同，无需更新。"
            else:
                problems = services.check(draft)
                if publish and not problems:
                    services.publish(draft)
                    report.items_published += 1
                    outcome_code, message = "published", f"已发布为 v{draft.number}。"
                elif publish:
                    outcome_code = "publish_failed"
                    message = f"已保存为草稿 v{draft.number}，但未能发布：" + "；".join(p.message for p in problems)
                else:
                    outcome_code = "draft"
                    message = f"已保存为草稿 v{draft.number}。" + (
                        ("发布前需修正：" + "；".join(p.message for p in problems)) if problems else "可以发布。")
                if not (draft_changed or item_changed or outcome_code == "published"):
                    outcome = UNCHANGED
                    report.items_unchanged += 1
                    message = f"草稿 v{draft.number} 内容无变化。" + (message if outcome_code == "publish_failed" else "")
                else:
                    outcome = IMPORTED
                    if created:
                        report.items_created += 1
                    else:
                        report.items_updated += 1
    except (CatalogError, DatabaseError) as exc:
        text = exc.message if isinstance(exc, CatalogError) else f"数据库拒绝了该事项：{exc}"
        report.add(SHEET_ITEMS, row.row, code, REJECTED, getattr(exc, "code", "database_error"), text)
        for child in child_rows:
            report.add(child.sheet, child.row, code, REJECTED, "item_not_imported", f"所属事项“{code}”导入失败。")
        return
    report.add(SHEET_ITEMS, row.row, code, outcome, outcome_code, message)
    child_status = UNCHANGED if outcome == UNCHANGED else IMPORTED
    for child in child_rows:
        report.add(child.sheet, child.row, code, child_status, "ok", "")


def _write_draft(item: Item, created: bool, v: dict, kids, parsed, departments) -> tuple[ItemVersion, bool, bool]:
    """Bring the item's draft to the row's content. Returns (draft, new_draft, changed); raises ``_Unchanged``
    when a fresh copy of the published version came out identical to it."""
    draft, new_draft = services.draft_for(item)
    before = None if new_draft else services.content_signature(draft)
    services.update_draft(draft, **_version_values(v, departments))
    if parsed[SHEET_STEPS] is not None:
        services.set_steps(draft, [
            StepSpec(r.values["code"], r.values["name"], r.values["post"], r.values["days"],
                     r.values["parallel_group"], r.values["department_code"])
            for r in _ordered(kids.get(SHEET_STEPS, []))])
    elif created:
        services.set_steps(draft, services.default_steps(draft.promised_days, draft.handling_type))
    if parsed[SHEET_FEES] is not None:
        services.set_fees(draft, [FeeSpec(r.values["code"], r.values["name"], r.values["amount"], r.values["basis"])
                                  for r in kids.get(SHEET_FEES, [])])
    if parsed[SHEET_MATERIALS] is not None:
        services.set_materials(draft, [
            MaterialSpec(r.values["name"], r.values["form"] or "原件", r.values["copies"] or 1,
                         r.values["required"], r.values["note"])
            for r in _ordered(kids.get(SHEET_MATERIALS, []))])
    after = services.content_signature(draft)
    current = item.current_version
    if new_draft and current is not None and current.status == VersionStatus.PUBLISHED \
            and services.content_signature(current) == after:
        raise _Unchanged
    return draft, new_draft, before != after


# --- writing ---------------------------------------------------------------------------------------------

def _export_value(column: Column, value):
    if value is None:
        return None
    if column.export:
        return column.export(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _new_workbook() -> tuple[Workbook, dict]:
    workbook = Workbook(write_only=True)
    sheets = {}
    for name, columns in SHEETS.items():
        ws = workbook.create_sheet(name)
        ws.append([c.header + ("*" if c.required else "") for c in columns])
        sheets[name] = ws
    return workbook, sheets


def export_queryset(user=None, department_code: str | None = None) -> QuerySet[Item]:
    from xiaoneng.org.scoping import scope_by_department

    items = Item.objects.select_related("department", "current_version__report_to").order_by("code")
    if user is not None:
        items = scope_by_department(items, user)
    if department_code:
        items = items.filter(department__code=department_code)
    return items


def export_items(items: Iterable[Item], out=None) -> bytes | None:
    """Write the items (their current version, else their latest draft) as the import workbook.

    ``out`` is a path or a binary file; without it the workbook is returned as bytes."""
    workbook, sheets = _new_workbook()
    items = list(items)
    versions = {}
    missing = [i.pk for i in items if i.current_version_id is None]
    for version in ItemVersion.objects.filter(item_id__in=missing).order_by("item_id", "-number"):
        versions.setdefault(version.item_id, version.pk)
    version_ids = [i.current_version_id or versions.get(i.pk) for i in items]
    loaded = {
        v.pk: v for v in ItemVersion.objects.filter(pk__in=[x for x in version_ids if x])
        .select_related("report_to")
        .prefetch_related(Prefetch("steps", Step.objects.select_related("department").order_by("order")),
                          Prefetch("fees", Fee.objects.order_by("id")),
                          Prefetch("materials", Material.objects.order_by("order", "id")))
    }
    for item, version_id in zip(items, version_ids, strict=True):
        version = loaded.get(version_id)
        if version is None:
            continue
        row = {"code": item.code, "name": item.name, "item_type": item.item_type, "department": item.department.code,
               "report_to": version.report_to.code if version.report_to_id else "",
               "life_event": item.life_event, "keywords": item.keywords}
        for name in services.VERSION_FIELDS:
            row.setdefault(name, getattr(version, name))
        sheets[SHEET_ITEMS].append([_export_value(c, row.get(c.key)) for c in ITEM_COLUMNS])
        for step in version.steps.all():
            data = {"item_code": item.code, "order": step.order, "code": step.code, "name": step.name,
                    "post": step.post, "days": step.days, "parallel_group": step.parallel_group,
                    "department_code": step.department.code if step.department_id else ""}
            sheets[SHEET_STEPS].append([_export_value(c, data.get(c.key)) for c in STEP_COLUMNS])
        for fee in version.fees.all():
            data = {"item_code": item.code, "code": fee.code, "name": fee.name, "amount": fee.amount, "basis": fee.basis}
            sheets[SHEET_FEES].append([_export_value(c, data.get(c.key)) for c in FEE_COLUMNS])
        for material in version.materials.all():
            data = {"item_code": item.code, "order": material.order, "name": material.name, "form": material.form,
                    "copies": material.copies, "required": material.required, "note": material.note}
            sheets[SHEET_MATERIALS].append([_export_value(c, data.get(c.key)) for c in MATERIAL_COLUMNS])
    return _save(workbook, out)


def _save(workbook: Workbook, out=None) -> bytes | None:
    if out is None:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    workbook.save(out)
    return None


def _template_notes() -> list[tuple[str, str, str]]:
    return [
    ("工作表", "列", "说明"),
    ("事项", "事项编码*", "全县唯一；再次导入同一编码即更新该事项（已发布的事项生成新草稿版本）。"),
    ("事项", "事项类型*", "编码或名称：" + "、".join(f"{v} {_msgid(t)}" for v, t in ItemType.choices)),
    ("事项", "实施部门编码*", "部门管理员只能导入本部门的事项。"),
    ("事项", "办件类型", "即办件、承诺件、上报件、并联审批件；默认承诺件。上报件须填写“上报部门编码”。"),
    ("事项", "法定时限* / 承诺时限*", "整数天；承诺时限不得超过法定时限；只有即办件的承诺时限可以为 0。"),
    ("事项", "时限单位", "工作日（默认）或自然日。"),
    ("事项", "施行日期", "日期，格式 YYYY-MM-DD。"),
    ("事项", "可网上申报 / 审批分离", "是 / 否。"),
    ("环节", "办理岗位*", "、".join(_msgid(t) for _, t in Post.choices)),
    ("环节", "环节时限（工作日）*", "各环节合计不得超过承诺时限；同一“并联组”的环节同时进行，按组内最长计。"),
    ("环节", "协办部门编码", "并联审批中由其他部门办理的环节。"),
    ("收费", "收费标准（元）*", "不得为负数；不收费的事项不填收费行。"),
    ("材料", "必需", "是 / 否；默认是。"),
    ("全部", "", "省略某个工作表时，事项原有的对应内容保持不变；提供工作表时以表中内容为准。"),
    ]


def template_workbook(out=None) -> bytes | None:
    workbook, _sheets = _new_workbook()
    notes = workbook.create_sheet("填表说明")
    for line in _template_notes():
        notes.append(list(line))
    return _save(workbook, out)


def report_workbook(report: ImportReport, out=None) -> bytes | None:
    """The row-by-row import report as a workbook (导入结果)."""
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("汇总")
    summary.append(["结果", "行数"])
    for status, count in report.counts.items():
        summary.append([STATUS_LABELS[status], count])
    summary.append(["新建事项", report.items_created])
    summary.append(["更新事项", report.items_updated])
    summary.append(["发布事项", report.items_published])
    detail = workbook.create_sheet("明细")
    detail.append(["工作表", "行号", "事项编码", "结果", "原因代码", "说明"])
    for r in report.sorted_results():
        detail.append([r.sheet, r.row, r.item_code, r.status_label, r.code, r.message])
    return _save(workbook, out)
