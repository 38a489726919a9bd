"""The Chinese font of printed documents, cut down to the characters one document uses.

Noto Sans SC comes from the ``pylopdf-fonts-zh-cn`` package (a project dependency, SIL OFL), so
no system font is assumed. It is a CID-keyed CFF (PostScript-outline) OpenType font; PDF writers
embed such fonts through a custom encoding CMap that common extraction libraries (pypdf,
pdfminer.six) do not follow, so copied or extracted text comes out spaced or empty. We therefore
subset the font to the document's characters and convert the few outlines to TrueType
(quadratic) ones, which PDF embeds as a plain Identity-H CIDFontType2: readers, search and text
extraction all handle that. Subsetting first keeps the conversion to well under a second.
"""

from __future__ import annotations

import io
from pathlib import Path

import pylopdf_fonts_zh_cn
from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

# Printable ASCII is always kept: numbers, codes and Latin names appear in every document.
_ALWAYS = {*range(0x20, 0x7F), 0x00A5, 0x2014, 0x00B7}
# Maximum distance (font units) between a cubic outline and its quadratic approximation.
_MAX_ERROR = 1.0


def font_path() -> Path:
    """The OpenType (CFF) file every document is set in."""
    return Path(pylopdf_fonts_zh_cn.sans_path())


def truetype_subset(text: str) -> bytes:
    """A TrueType font holding the glyphs of ``text`` (and printable ASCII), as bytes."""
    font = TTFont(str(font_path()))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(ch) for ch in text} | _ALWAYS)
    subsetter.subset(font)
    _cff_to_glyf(font)
    output = io.BytesIO()
    font.save(output)
    return output.getvalue()


def _cff_to_glyf(font: TTFont) -> None:
    """Replace the CFF outlines of ``font`` by TrueType ones, with the tables that go with them."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        # TrueType contours run the other way round from PostScript ones.
        glyph_set[name].draw(Cu2QuPen(pen, _MAX_ERROR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attribute in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attribute, 0)
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
