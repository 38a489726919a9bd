"""Writing XLSX sheets: exact Decimal amounts, and text from users that never runs as a formula."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"
# A spreadsheet evaluates text starting with these ("=HYPERLINK(…)"): names and titles come
# from users, so such text is stored as text.
FORMULA_PREFIXES = ("=", "+", "-", "@")


def keep_as_text(cells: Iterable[Cell]) -> None:
    """Mark cells whose text looks like a formula as plain text."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
            cell.data_type = "s"


def write_sheet(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    money_columns: Sequence[int] = (),
    rate_columns: Sequence[int] = (),
) -> Worksheet:
    """A sheet with a bold, frozen header row; money and rate columns formatted (1-based)."""
    sheet = book.create_sheet(title=title[:31])
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # openpyxl writes a Decimal as the exact number (no float round trip).
        sheet.append(list(row))
        keep_as_text(sheet[sheet.max_row])
    for columns, number_format in ((money_columns, MONEY_FORMAT), (rate_columns, RATE_FORMAT)):
        for column in columns:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = number_format
    for index, title_text in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(title_text) + 4)
    sheet.freeze_panes = "A2"
    return sheet
