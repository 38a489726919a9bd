"""An A4 document described block by block (title, headings, key-value rows, tables, text)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, XPos, YPos

from marketplace.pdf.font import truetype_subset

FONT_FAMILY = "NotoSansSC"
ColumnAlign = Literal["left", "right", "center"]

_ALIGN = {"left": Align.L, "right": Align.R, "center": Align.C}
_TEXT = (33, 37, 41)
_MUTED = (108, 117, 125)
_RULE = (206, 212, 218)
_HEADER_FILL = (233, 236, 239)
_Block = Callable[[FPDF], None]


class _Canvas(FPDF):
    """FPDF with a footer line: the document's footer text and the page number."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(*_MUTED)
        page = f"{self.page_no()} / {{nb}}"
        text = f"{self.footer_text}    {page}" if self.footer_text else page
        self.cell(0, 5, text, align=Align.C)


@dataclass(frozen=True)
class TableSpec:
    """One table of :meth:`Document.table_pair`: heading, column names, rows of text."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: Sequence[ColumnAlign]
    col_widths: Sequence[float] | None = None
    empty: str = "—"


class Document:
    """A document built top to bottom, rendered by :meth:`to_bytes`.

    Blocks are recorded first and drawn at the end because the embedded font is cut down to
    the characters the whole document uses (see :mod:`marketplace.pdf.font`).

    >>> doc = Document("技术合同登记证明", subtitle="登记号 2026330300000001")
    >>> doc.key_values([("合同名称", "锂电池回收技术转让")])
    >>> data = doc.to_bytes()
    """

    WIDTH_MM = 210 - 2 * 18  # A4 less the margins

    def __init__(
        self,
        title: str,
        *,
        subtitle: str | None = None,
        author: str = "",
        footer: str = "",
        lang: str = "zh-CN",
        compact: bool = False,
    ) -> None:
        self.title = title
        # Compact: tighter title and headings, for one-page reports such as the bulletin.
        self._compact = compact
        self._subtitle = subtitle
        self._author = author
        self._footer = footer
        self._lang = lang
        self._texts: list[str] = [title, subtitle or "", footer, "0123456789/ —"]
        self._blocks: list[_Block] = []

    # -- blocks -----------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        """A section heading with a rule under it."""
        self._texts.append(text)

        space, height = (0.5, 6.0) if self._compact else (2.0, 7.0)

        def draw(pdf: FPDF) -> None:
            pdf.ln(space)
            pdf.set_font(FONT_FAMILY, size=11 if self._compact else 12)
            pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_draw_color(*_RULE)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
            pdf.ln(space + 0.5)

        self._blocks.append(draw)

    def paragraph(self, text: str, *, size: float = 10, muted: bool = False) -> None:
        """Running text; long lines wrap (Chinese wraps between any two characters)."""
        self._texts.append(text)

        def draw(pdf: FPDF) -> None:
            pdf.set_font(FONT_FAMILY, size=size)
            if muted:
                pdf.set_text_color(*_MUTED)
            pdf.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*_TEXT)
            pdf.ln(1.5)

        self._blocks.append(draw)

    def key_values(
        self, rows: Sequence[tuple[str, str]], *, label_width: float = 38, line: float = 6.5
    ) -> None:
        """Label / value pairs, one per line, the values wrapping in their own column."""
        rows = [(label, value or "—") for label, value in rows]
        self._texts.extend(f"{label}{value}" for label, value in rows)

        def draw(pdf: FPDF) -> None:
            pdf.set_font(FONT_FAMILY, size=10)
            for label, value in rows:
                if pdf.will_page_break(line):
                    pdf.add_page()
                top = pdf.get_y()
                pdf.set_text_color(*_MUTED)
                pdf.multi_cell(label_width, line, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
                pdf.set_text_color(*_TEXT)
                pdf.multi_cell(0, line, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                if pdf.get_y() >= top:  # a label longer than its value sets the row height
                    pdf.set_y(max(pdf.get_y(), top + line))
            pdf.ln(2)

        self._blocks.append(draw)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        align: Sequence[ColumnAlign] | None = None,
        col_widths: Sequence[float] | None = None,
        size: float = 9,
        compact: bool = False,
    ) -> None:
        """A table whose header row repeats on every page it spans.

        ``align`` gives each column's alignment (numbers right); ``col_widths`` are relative.
        """
        header = list(header)
        body = [list(values) for values in rows]
        if any(len(values) != len(header) for values in body):
            raise ValueError("every table row needs one value per column")
        self._texts.extend(header)
        self._texts.extend(text for values in body for text in values)
        aligns = tuple(_ALIGN[a] for a in (align or ["left"] * len(header)))

        def draw(pdf: FPDF) -> None:
            pdf.set_font(FONT_FAMILY, size=size)
            pdf.set_draw_color(*_RULE)
            with pdf.table(
                col_widths=tuple(col_widths) if col_widths else None,
                text_align=aligns,
                headings_style=FontFace(fill_color=_HEADER_FILL),
                borders_layout=TableBordersLayout.HORIZONTAL_LINES,
                line_height=size * (0.5 if compact else 0.6),
                padding=0.6 if compact else 1.2,
            ) as table:
                heading = table.row()
                for text in header:
                    heading.cell(text)
                for values in body:
                    row = table.row()
                    for text in values:
                        row.cell(text)
            pdf.ln(3)

        self._blocks.append(draw)

    def table_pair(self, left: TableSpec, right: TableSpec, *, size: float = 8) -> None:
        """Two short tables side by side, each with its heading (rows should fit one page)."""
        for spec in (left, right):
            self._texts.extend((spec.title, spec.empty))
            self._texts.extend(spec.header)
            self._texts.extend(text for values in spec.rows for text in values)

        def pair(pdf: Any) -> None:  # an FPDF, or the recorder of offset_rendering()
            gap = 6.0
            half = (pdf.epw - gap) / 2
            pdf.ln(1)
            top = pdf.get_y()
            bottoms = []
            for spec, x in ((left, pdf.l_margin), (right, pdf.l_margin + half + gap)):
                pdf.set_xy(x, top)
                pdf.set_font(FONT_FAMILY, size=size + 2)
                pdf.cell(half, 6, spec.title, new_x=XPos.LEFT, new_y=YPos.NEXT)
                pdf.set_font(FONT_FAMILY, size=size)
                pdf.set_draw_color(*_RULE)
                with pdf.table(
                    width=half,
                    align=Align.L if x == pdf.l_margin else Align.R,
                    text_align=tuple(_ALIGN[a] for a in spec.align),
                    headings_style=FontFace(fill_color=_HEADER_FILL),
                    borders_layout=TableBordersLayout.HORIZONTAL_LINES,
                    line_height=size * 0.5,
                    padding=0.6,
                    col_widths=tuple(spec.col_widths) if spec.col_widths else None,
                ) as table:
                    heading = table.row()
                    for text in spec.header:
                        heading.cell(text)
                    for values in spec.rows:
                        row = table.row()
                        for text in values:
                            row.cell(text)
                    if not spec.rows:
                        row = table.row()
                        row.cell(spec.empty, colspan=len(spec.header))
                bottoms.append(pdf.get_y())
            pdf.set_xy(pdf.l_margin, max(bottoms))
            pdf.ln(3)

        def draw(pdf: FPDF) -> None:
            # The two tables start at the same height, so the pair must not straddle a page
            # break: try it on a dummy first and start a new page if it would.
            with pdf.offset_rendering() as dummy:
                pair(dummy)
            if dummy.page_break_triggered:
                pdf.add_page()
            pair(pdf)

        self._blocks.append(draw)

    # -- output -----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The finished PDF."""
        pdf = _Canvas(orientation="portrait", unit="mm", format="A4")
        pdf.footer_text = self._footer
        pdf.set_margins(18, 18, 18)
        pdf.set_auto_page_break(auto=True, margin=18)
        # fpdf2 reads fonts from a path only (and may read it until output), so the subset
        # lives in a temporary file while the document is drawn.
        handle, font_file = tempfile.mkstemp(suffix=".ttf", prefix="marketplace-font-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(truetype_subset("".join(self._texts)))
            pdf.add_font(FONT_FAMILY, "", font_file)
            return self._draw(pdf)
        finally:
            os.unlink(font_file)

    def _draw(self, pdf: FPDF) -> bytes:
        pdf.set_title(self.title)
        pdf.set_lang(self._lang)
        if self._author:
            pdf.set_author(self._author)
        pdf.set_creator("marketplace")
        pdf.set_creation_date(datetime.now().astimezone())
        pdf.add_page()
        pdf.set_text_color(*_TEXT)
        pdf.set_font(FONT_FAMILY, size=16 if self._compact else 18)
        pdf.multi_cell(
            0,
            8 if self._compact else 10,
            self.title,
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if self._subtitle:
            pdf.set_font(FONT_FAMILY, size=10)
            pdf.set_text_color(*_MUTED)
            pdf.multi_cell(0, 6, self._subtitle, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*_TEXT)
        pdf.ln(2 if self._compact else 4)
        for draw in self._blocks:
            draw(pdf)
        return bytes(pdf.output())
