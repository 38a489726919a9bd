"""A Whoosh codec for writers that stops the segment flush from probing the disk per posting.

While a writer flushes its postings, Whoosh asks the new segment for each posting's field length
to keep per-term length statistics. Fields without lengths (ID, KEYWORD, NUMERIC: unscored) have
no length column, and the stock reader answers "no column" by checking that the file exists again,
once per posting — a quarter of a full reindex's time went into ``os.path`` calls. This reader
remembers the answer (the segment being flushed is complete, so it cannot change).

Only writers use this codec; the segments they create record the stock ``W3Codec``, so the index
on disk is exactly what Whoosh writes and reads without this module.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader


class _LengthsReader(W3PerDocReader):
    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._has_column: dict[str, bool] = {}

    def has_column(self, fieldname: str) -> bool:
        known = self._has_column.get(fieldname)
        if known is None:
            known = self._has_column[fieldname] = super().has_column(fieldname)
        return known


class WriterCodec(W3Codec):
    """``W3Codec`` with the remembering lengths reader (pass as ``ix.writer(codec=...)``)."""

    def per_document_reader(self, storage: Any, segment: Any) -> W3PerDocReader:
        return _LengthsReader(storage, segment)

    def new_segment(self, storage: Any, indexname: str) -> Any:
        # The segment (pickled into the index's TOC) names the stock codec, not this class.
        return W3Codec().new_segment(storage, indexname)
