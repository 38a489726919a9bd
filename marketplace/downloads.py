"""HTTP responses for generated or stored files (PDF, XLSX) with safe headers."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(
    data: bytes,
    mimetype: str,
    filename: str,
    *,
    ascii_name: str,
    inline: bool = False,
    private: bool = True,
) -> Response:
    """``data`` as a download named ``filename`` (``ascii_name`` for old clients); never
    sniffed as another type, and not cached by shared caches when ``private``."""
    response = Response(data, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store" if private else "no-cache"
    return response
