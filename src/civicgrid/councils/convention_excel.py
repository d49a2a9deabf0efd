"""Conventions to and from Excel: a convention's terms read from a workbook (checked
whole before anything is written: a bad sheet is refused with the row at fault), a
convention's terms and a period's scores written to one.

The workbook of a convention has two sheets:

* ``公约``: one row per indicator under a header 事项 | 指标 | 分值 | 评分规则 | 评分方式 |
  每处扣分 | 零容忍 (an empty 事项 continues the item above; 评分方式 is 扣分, 合格 or
  评级; 零容忍 是 or empty);
* ``奖惩`` (optional): two columns 项目 | 内容, rows 公约名称, 红榜名额, 红榜分数线,
  红榜奖励, 黑榜分数线, 黑榜处罚.

A period's export adds ``得分`` (a row per member, a column per indicator, the total
and the list the member is on) and ``红黑榜``; its ``公约`` sheet imports again.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from civicgrid.councils import terms as t
from civicgrid.councils.convention_models import Convention, Score, ScoringPeriod
from civicgrid.errors import Invalid

TERMS_SHEET = "公约"
HONOURS_SHEET = "奖惩"
SCORES_SHEET = "得分"
LISTS_SHEET = "红黑榜"
HEADER = ("事项", "指标", "分值", "评分规则", "评分方式", "每处扣分", "零容忍")
METHOD_WORDS = {"扣分": t.DEDUCT, "合格": t.PASS_FAIL, "评级": t.GRADED}
WORD_OF_METHOD = {v: k for k, v in METHOD_WORDS.items()}
HONOUR_WORDS = {
    "红榜名额": "red_top",
    "红榜分数线": "red_min",
    "红榜奖励": "red_reward",
    "黑榜分数线": "black_below",
    "黑榜处罚": "black_penalty",
}
NAME_WORD = "公约名称"
MAX_BYTES = 2 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 200


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def read_terms(upload: IO[bytes]) -> tuple[str, t.Terms]:
    """A convention's name (may be empty) and terms from a workbook, or a refusal in
    words that name the sheet and row at fault."""
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Invalid(_("The workbook is larger than 2 MB."), field="file")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise Invalid(_("This is not an Excel workbook (.xlsx)."), field="file") from None
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise Invalid(_("This is not an Excel workbook (.xlsx)."), field="file") from None
    try:
        if TERMS_SHEET not in book.sheetnames:
            raise Invalid(
                _("The workbook has no sheet named %(sheet)s.") % {"sheet": TERMS_SHEET},
                field="file",
            )
        rows = list(book[TERMS_SHEET].iter_rows(values_only=True, max_row=MAX_ROWS + 2))
        honours_rows = (
            list(book[HONOURS_SHEET].iter_rows(values_only=True, max_row=50))
            if HONOURS_SHEET in book.sheetnames
            else []
        )
    finally:
        book.close()
    items = _items(rows)
    name, honours = _honour_rows(honours_rows)
    try:
        terms = t.parse({"items": items, "honours": honours})
    except Invalid as refusal:
        raise Invalid(_("The workbook: %(why)s") % {"why": refusal.message}, field="file") from None
    return name, terms


def _items(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    if not rows:
        raise Invalid(_("The sheet %(sheet)s is empty.") % {"sheet": TERMS_SHEET}, field="file")
    header = tuple(_cell(v) for v in rows[0][: len(HEADER)])
    if header[:3] != HEADER[:3] or any(
        h not in (None, w) for h, w in zip(header[3:], HEADER[3:], strict=False)
    ):
        raise Invalid(
            _("The first row of the sheet %(sheet)s must be: %(header)s.")
            % {"sheet": TERMS_SHEET, "header": "、".join(HEADER)},
            field="file",
        )
    if len(rows) > MAX_ROWS + 1:
        raise Invalid(_("The sheet has more than %(n)s rows.") % {"n": MAX_ROWS}, field="file")
    items: list[dict[str, Any]] = []
    for number, raw in enumerate(rows[1:], start=2):
        row = [_cell(v) for v in raw] + [None] * len(HEADER)
        item, name, points, rule, method, step, zero = row[: len(HEADER)]
        if all(v in (None, "") for v in row[: len(HEADER)]):
            continue
        if item in (None, ""):
            if not items:
                raise Invalid(_row(number, _("the first indicator needs its item.")), field="file")
        elif not items or items[-1]["name"] != str(item):
            items.append({"name": str(item), "indicators": []})
        if name in (None, ""):
            raise Invalid(_row(number, _("the indicator needs a name.")), field="file")
        if isinstance(points, float) and points.is_integer():
            points = int(points)
        if (
            isinstance(points, bool)
            or not isinstance(points, int)
            or not 1 <= points <= t.MAX_POINTS
        ):
            raise Invalid(
                _row(
                    number,
                    _("the points must be a whole number from 1 to %(n)s.") % {"n": t.MAX_POINTS},
                ),
                field="file",
            )
        word = str(method) if method not in (None, "") else "扣分"
        if word not in METHOD_WORDS and word not in t.METHODS:
            raise Invalid(
                _row(number, _("the way it is scored must be 扣分, 合格 or 评级.")), field="file"
            )
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        if step not in (None, "") and (
            isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= points
        ):
            raise Invalid(
                _row(
                    number, _("the points per finding must be a whole number from 1 to the points.")
                ),
                field="file",
            )
        if zero not in (None, "", "是", "否"):
            raise Invalid(_row(number, _("zero tolerance is 是 or empty.")), field="file")
        items[-1]["indicators"].append(
            {
                "name": str(name),
                "points": points,
                "rule": "" if rule is None else str(rule),
                "method": METHOD_WORDS.get(word, word),
                "step": step if step not in (None, "") else 1,
                "zero_tolerance": zero == "是",
            }
        )
    if not items:
        raise Invalid(
            _("The sheet %(sheet)s has no indicators.") % {"sheet": TERMS_SHEET}, field="file"
        )
    return items


def _row(number: int, why: str) -> str:
    return _("Row %(n)s of the sheet %(sheet)s: %(why)s") % {
        "n": number,
        "sheet": TERMS_SHEET,
        "why": why,
    }


def _honour_rows(rows: list[tuple[Any, ...]]) -> tuple[str, dict[str, Any]]:
    name = ""
    honours: dict[str, Any] = {"red_top": None, "red_min": None, "black_below": None}
    for raw in rows[1:]:
        row = [_cell(v) for v in raw] + [None, None]
        word, value = row[0], row[1]
        if word in (None, ""):
            continue
        if word == NAME_WORD:
            name = "" if value is None else str(value)
        elif word in HONOUR_WORDS:
            key = HONOUR_WORDS[word]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            honours[key] = value
        else:
            raise Invalid(
                _("The sheet %(sheet)s has a row %(word)s it does not know.")
                % {"sheet": HONOURS_SHEET, "word": str(word)[:40]},
                field="file",
            )
    if len(name) > 100:
        raise Invalid(
            _("The convention's name is too long (at most 100 characters)."), field="file"
        )
    return name, honours


# --- writing ---------------------------------------------------------------------------------


def _write_terms(book: Workbook, name: str, terms: t.Terms) -> None:
    sheet = book.active
    sheet.title = TERMS_SHEET
    sheet.append(HEADER)
    for item in terms.items:
        for n, i in enumerate(item.indicators):
            sheet.append(
                (
                    item.name if n == 0 else None,
                    i.name,
                    i.points,
                    i.rule,
                    WORD_OF_METHOD[i.method],
                    i.step if i.method == t.DEDUCT else None,
                    "是" if i.zero_tolerance else None,
                )
            )
    honours = book.create_sheet(HONOURS_SHEET)
    honours.append(("项目", "内容"))
    honours.append((NAME_WORD, name))
    for word, key in HONOUR_WORDS.items():
        honours.append((word, getattr(terms.honours, key)))
    for ws in (sheet, honours):
        for cell in ws[1]:
            cell.font = Font(bold=True)


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def convention_workbook(convention: Convention) -> bytes:
    book = Workbook()
    _write_terms(book, convention.name, t.parse(convention.terms))
    return _bytes(book)


def period_workbook(period: ScoringPeriod) -> bytes:
    """A period's scores (member × indicator: the final points once rated, else the
    inspection's, else the self-assessment), totals, the red and black lists, and its
    terms."""
    terms = t.parse(period.terms)
    book = Workbook()
    _write_terms(book, period.convention.name, terms)
    scores = book.create_sheet(SCORES_SHEET, 0)
    book.active = 0
    results = period.results or {}
    red, black = set(results.get("red", [])), set(results.get("black", []))
    totals = {m["member"]: m["total"] for m in results.get("members", [])}
    scores.append(
        ["成员"]
        + [f"{i.key} {i.name}（{i.points}分）" for i in terms.indicators]
        + ["自评合计", "合计", "榜单"]
    )
    by_member: dict[int, dict[str, Score]] = {}
    names: dict[int, str] = {}
    for score in Score.objects.filter(period=period).select_related("member"):
        by_member.setdefault(score.member_id, {})[score.indicator] = score
        names[score.member_id] = score.member.name
    order = sorted(by_member, key=lambda m: (-totals.get(m, 0), names[m], m))
    for member in order:
        cells = by_member[member]
        shown = []
        for i in terms.indicators:
            s = cells.get(i.key)
            value = None
            if s is not None:
                value = next(
                    (
                        v
                        for v in (s.final_points, s.inspected_points, s.self_points)
                        if v is not None
                    ),
                    None,
                )
            shown.append(value)
        own = [cells[i.key].self_points for i in terms.indicators if i.key in cells]
        mark = "红榜" if member in red else "黑榜" if member in black else ""
        own_total = sum(own) if own and None not in own else None  # type: ignore[arg-type]
        scores.append([names[member], *shown, own_total, totals.get(member), mark])
    for cell in scores[1]:
        cell.font = Font(bold=True)
    lists = book.create_sheet(LISTS_SHEET, 1)
    lists.append(("榜单", "成员", "合计", "奖惩"))
    lists[1][0].font = Font(bold=True)
    by_id = {m["member"]: m for m in results.get("members", [])}
    for member in results.get("red", []):
        lists.append(
            ("红榜", by_id[member]["name"], by_id[member]["total"], terms.honours.red_reward)
        )
    for member in results.get("black", []):
        lists.append(
            ("黑榜", by_id[member]["name"], by_id[member]["total"], terms.honours.black_penalty)
        )
    if results.get("average") is not None:
        lists.append(("理事会平均分（百分制）", None, results["average"], None))
    return _bytes(book)
