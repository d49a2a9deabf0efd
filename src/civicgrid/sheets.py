"""What the Excel ledgers share (openpyxl): a sheet's title and bold headers above its
rows, the columns' widths, and the workbook as an answer's bytes."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headed(sheet: Worksheet, title: str, headers: list[str], widths: tuple[int, ...]) -> None:
    """``title`` in the first row, ``headers`` in bold in the second, columns as wide as
    ``widths`` (in characters)."""
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def as_bytes(book: Workbook) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()
