"""Printable PDF documents (certificates, bulletins, confirmations) with Chinese set correctly."""

from marketplace.pdf.document import ColumnAlign, Document, TableSpec

__all__ = ["ColumnAlign", "Document", "TableSpec"]
