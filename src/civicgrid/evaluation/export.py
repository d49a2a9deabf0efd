"""A published month's rankings as an Excel workbook (openpyxl): one sheet per list
(streets and towns, communities, departments) with the ranked units, one sheet of the
units listed apart, and one of the rules the month was computed under. Chinese headers,
numerators and denominators beside every rate, the red and black lists and the most
improved marked. Only a published month is exported: its figures are frozen."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.models import RankingSnapshot

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RATES = (("response", "响应率"), ("solved", "解决率"), ("satisfaction", "满意率"))
SHEETS = {rk.STREETS: "街道乡镇", rk.COMMUNITIES: "社区村居", rk.DEPARTMENTS: "职能部门"}
APART_SHEET = "单列单位"
RULES_SHEET = "说明"
LIST_NAMES = {rk.STREETS: "街道乡镇", rk.COMMUNITIES: "社区村居", rk.DEPARTMENTS: "职能部门"}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
RED_FILL = PatternFill("solid", fgColor="FDE2E1")
BLACK_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
PERCENT = "0.0%"
SCORE = "0.00"


def filename(snapshot: RankingSnapshot) -> str:
    return f"rankings-{snapshot.month}-r{snapshot.revision}.xlsx"


def _headers(with_group: bool, with_rank: bool) -> list[str]:
    found = ["名次"] if with_rank else []
    found += ["单位", "单位代码"]
    if with_group:
        found.append("所属街道")
    found.append("计入工单数")
    for _key, label in RATES:
        found += [f"{label}分子", f"{label}分母", label]
    found += ["综合得分", "上月得分", "得分变化"]
    found += ["标记"] if with_rank else ["单列原因"]
    return found


def _marks(row: dict[str, Any]) -> str:
    marks = []
    if row["red"]:
        marks.append("红榜")
    if row["black"]:
        marks.append("黑榜")
    if row["improved"]:
        marks.append("进步最快")
    return "、".join(marks)


def _cells(
    row: dict[str, Any], names: dict[str, str], terms: rk.Terms, *, with_group: bool, ranked: bool
) -> list[Any]:
    cells: list[Any] = [row["rank"]] if ranked else []
    cells += [row["name"], row["unit"]]
    if with_group:
        cells.append(names.get(row["group"] or "", row["group"] or ""))
    cells.append(row["cases"])
    for key, _label in RATES:
        numerator, denominator = row["figures"][key]
        cells += [numerator, denominator, row["rates"][key]]
    cells += [row["score"], row["previous_score"], row["change"]]
    cells.append(_marks(row) if ranked else rk.describe_apart(row, terms))
    return cells


def _sheet(
    sheet: Worksheet, title: str, headers: list[str], rows: list[list[Any]], fills: list[Any]
) -> None:
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(headers)
    for column, _header in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=column)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
    for values, fill in zip(rows, fills, strict=True):
        sheet.append(values)
        for column, header in enumerate(headers, start=1):
            cell = sheet.cell(row=sheet.max_row, column=column)
            cell.border = BORDER
            if header in {label for _k, label in RATES}:
                cell.number_format = PERCENT
            elif header in ("综合得分", "上月得分", "得分变化"):
                cell.number_format = SCORE
            if fill is not None:
                cell.fill = fill
    for column, header in enumerate(headers, start=1):
        width = 24 if header in ("单位", "所属街道", "标记", "单列原因") else 11
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[2].height = 30
    sheet.freeze_panes = "A3"
    if rows:
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(headers))}{sheet.max_row}"


def workbook(snapshot: RankingSnapshot) -> bytes:
    """The published month ``snapshot`` as an .xlsx file's bytes (in Chinese, whatever
    the reader's language: it is the district's document)."""
    with translation.override("zh-hans"):
        return _workbook(snapshot)


def _workbook(snapshot: RankingSnapshot) -> bytes:
    terms = rk.Terms.from_json(snapshot.policy)
    published_at = timezone.localtime(snapshot.published_at)
    heading = (
        f"{snapshot.month} 月度榜单"
        f"（第 {snapshot.revision} 版，{published_at:%Y-%m-%d %H:%M} 发布）"
    )
    names = {r["unit"]: r["name"] for r in snapshot.lists.get(rk.STREETS, [])}
    book = Workbook()
    first = True
    apart: list[list[Any]] = []
    for name in rk.LISTS:
        rows = snapshot.lists.get(name, [])
        with_group = name == rk.COMMUNITIES
        ranked = [r for r in rows if not r["apart"]]
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = SHEETS[name]
        _sheet(
            sheet,
            f"{heading} · {LIST_NAMES[name]}",
            _headers(with_group, True),
            [_cells(r, names, terms, with_group=with_group, ranked=True) for r in ranked],
            [RED_FILL if r["red"] else BLACK_FILL if r["black"] else None for r in ranked],
        )
        for row in rows:
            if row["apart"]:
                cells = _cells(row, names, terms, with_group=True, ranked=False)
                if not with_group:
                    cells[2] = ""
                apart.append([LIST_NAMES[name], *cells])
    _sheet(
        book.create_sheet(APART_SHEET),
        f"{heading} · 单列单位（工单量不足或没有可计分的比率，不参与排名）",
        ["榜单", *_headers(True, False)],
        apart,
        [None] * len(apart),
    )
    rules = book.create_sheet(RULES_SHEET)
    weights = terms.weights
    for line in (
        [heading],
        [
            "权重",
            f"响应率 {weights['response']}，解决率 {weights['solved']}，"
            f"满意率 {weights['satisfaction']}",
        ],
        ["最低工单量", terms.min_volume],
        [
            "红榜、黑榜、进步最快名额",
            f"{terms.red_size}、{terms.black_size}、{terms.improved_size}",
        ],
        ["综合得分", str(rk.SCORE_RULE)],
        ["榜单规则", str(rk.LIST_RULE)],
        ["更正理由", snapshot.reason or "—"],
        ["计算时间", f"{timezone.localtime(snapshot.computed_at):%Y-%m-%d %H:%M}"],
    ):
        rules.append(line)
    rules.column_dimensions["A"].width = 26
    rules.column_dimensions["B"].width = 100
    rules["A1"].font = Font(bold=True, size=14)
    for cell in rules["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    book.save(out)
    return out.getvalue()
