"""Printed documents: Chinese text set in the bundled font, embedded as a subset, extractable."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from marketplace.pdf import Document, TableSpec
from marketplace.pdf.font import truetype_subset


def _read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_chinese_title_rows_and_table_come_back_out_as_text() -> None:
    doc = Document(
        "技术合同登记证明", subtitle="登记号 2026330300000042", footer="温州市科学技术局"
    )
    doc.heading("合同信息")
    doc.key_values([("合同名称", "锂电池回收与梯次利用关键技术转让"), ("成交额", "¥1,200,000.00")])
    doc.paragraph("本证明可在平台公开核验。")
    doc.table(["类型", "成交额（元）"], [["技术开发", "3,456,789.00"]], align=["left", "right"])
    text = _read(doc.to_bytes()).pages[0].extract_text()

    for expected in (
        "技术合同登记证明",
        "登记号 2026330300000042",
        "合同名称",
        "锂电池回收与梯次利用关键技术转让",
        "¥1,200,000.00",
        "本证明可在平台公开核验。",
        "技术开发",
        "3,456,789.00",
        "温州市科学技术局",
    ):
        assert expected in text


def test_the_font_is_embedded_as_a_small_subset() -> None:
    data = Document("科技大市场月度简报").to_bytes()
    font = _read(data).pages[0]["/Resources"]["/Font"]["/F1"].get_object()
    descendant = font["/DescendantFonts"][0].get_object()

    assert str(font["/BaseFont"]).endswith("+NotoSansSC")  # the "XXXXXX+" prefix marks a subset
    assert "/FontFile2" in descendant["/FontDescriptor"]
    assert font["/Encoding"] == "/Identity-H"
    assert len(data) < 100_000  # the whole font is 8 MB; a subset is a few kilobytes


def test_every_used_character_has_an_outline() -> None:
    font = TTFont(io.BytesIO(truetype_subset("锂膜簡")))
    glyphs = font["glyf"]
    for char in "锂膜簡A1":
        name = font.getBestCmap()[ord(char)]
        assert glyphs[name].numberOfContours > 0, char


def test_a_long_table_runs_onto_more_pages_with_its_header_repeated() -> None:
    doc = Document("合同清单")
    rows = [[f"20263303000000{i:02d}", f"技术合同{i}"] for i in range(90)]
    doc.table(["登记号", "合同名称"], rows)
    reader = _read(doc.to_bytes())

    assert len(reader.pages) > 1
    assert all("登记号" in page.extract_text() for page in reader.pages)
    assert "技术合同89" in reader.pages[-1].extract_text()


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    doc = Document("表")
    with pytest.raises(ValueError):
        doc.table(["甲", "乙"], [["1"]])


def test_two_tables_side_by_side_start_on_the_same_page() -> None:
    doc = Document("月度简报", compact=True)
    doc.table(["项目", "数值"], [[f"行{i}", str(i)] for i in range(40)], compact=True)
    left = TableSpec("输出地区", ["地区", "合同数"], [["浙江省 杭州市", "3"]], ["left", "right"])
    right = TableSpec("吸纳地区", ["地区", "合同数"], [], ["left", "right"], empty="无")
    doc.table_pair(left, right)
    reader = _read(doc.to_bytes())
    last = reader.pages[-1].extract_text()
    assert "输出地区" in last and "吸纳地区" in last and "浙江省 杭州市" in last and "无" in last
