"""Upload tricks against listing attachments: wrong extension, oversized, path traversal,
polyglots and programs — refused, or (when the bytes really are a PDF or an image) stored under
a random name and served so that no browser runs them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests import factories as f

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

REFUSED = {
    "html named .pdf": ("report.pdf", b"<html><script>alert(1)</script></html>"),
    "svg with script named .png": (
        "logo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "windows program named .pdf": ("paper.pdf", b"MZ\x90\x00" + b"\x00" * 200),
    "linux program named .jpg": ("photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
    "shell script named .pdf": ("run.pdf", b"#!/bin/sh\nrm -rf /\n"),
    "zip (office file) named .pdf": ("sheet.pdf", b"PK\x03\x04" + b"\x00" * 200),
    "pdf header without a body": ("fake.pdf", b"%PDF-1.4\n<script>alert(1)</script>"),
    "empty file": ("empty.pdf", b""),
    "program with a pdf header inside": ("x.pdf", b"MZ" + PDF),
}

# Bytes that are a genuine PDF or image but also carry something else: accepted only as what
# they are, and served with a type a browser will not execute.
POLYGLOTS = {
    "pdf with html inside": (
        "a.html",
        PDF.replace(b"endobj\ntrailer", b"endobj\n<html><script>alert(1)</script></html>\ntrailer"),
    ),
    "gif with javascript": (
        "b.js",
        b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(1)//;" + b"\x00" * 64,
    ),
    "png with a zip appended": ("c.png", PNG + b"PK\x03\x04" + b"\x00" * 64),
}

TRAVERSAL = [
    "../../../../etc/passwd.pdf",
    "..\\..\\windows\\win.ini.pdf",
    "/etc/cron.d/x.pdf",
    "a/../../b.pdf",
    "%2e%2e%2fsecret.pdf",
    "con.pdf",
    "\x00evil.pdf",
    "<script>alert(1)</script>.pdf",
    "x" * 1000 + ".pdf",
]


@pytest.fixture
def owner_listing(client: Any, make_user: Any, login_as: Any) -> Any:
    owner = make_user("researcher")
    listing = f.AchievementFactory(org=owner.org, owner=owner, status="draft", published_at=None)
    login_as(owner)
    return listing


def _upload(client: Any, listing: Any, name: str, data: bytes) -> Any:
    return client.post(
        f"/listings/{listing.id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _attachments(listing: Any) -> list[Any]:
    from marketplace.extensions import db
    from marketplace.listings.models import Attachment

    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Attachment).where(Attachment.listing_id == listing.id)
        ).scalars()
    )


def _files(app: Any) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_refused_uploads_store_nothing(
    app: Any, client: Any, owner_listing: Any, case: str
) -> None:
    name, data = REFUSED[case]
    response = _upload(client, owner_listing, name, data)
    assert response.status_code < 500
    assert _attachments(owner_listing) == []
    assert _files(app) == []
    page = client.get(f"/achievements/{owner_listing.id}").get_data(as_text=True)
    assert "alert alert-danger" in page  # the owner is told why


def test_oversized_upload_refused(make_app: Any, make_user: Any) -> None:
    app = make_app(ATTACHMENT_MAX_BYTES=4096)
    with app.app_context():
        owner = make_user("researcher")
        listing = f.AchievementFactory(
            org=owner.org, owner=owner, status="draft", published_at=None
        )
        client = app.test_client()
        from tests.conftest import login

        login(client, owner)
        big_pdf = PDF.replace(b"%%EOF", b"%" + b"A" * 5000 + b"\n%%EOF")
        response = _upload(client, listing, "big.pdf", big_pdf)
        assert response.status_code < 500
        assert _attachments(listing) == []
        assert _files(app) == []


def test_request_beyond_the_body_limit_is_413_not_500(make_app: Any, make_user: Any) -> None:
    app = make_app(MAX_CONTENT_LENGTH=64 * 1024)
    with app.app_context():
        owner = make_user("researcher")
        listing = f.AchievementFactory(
            org=owner.org, owner=owner, status="draft", published_at=None
        )
        client = app.test_client()
        from tests.conftest import login

        login(client, owner)
        response = _upload(client, listing, "huge.pdf", PDF + b"0" * (200 * 1024))
        assert response.status_code == 413
        assert _attachments(listing) == []


@pytest.mark.parametrize("name", TRAVERSAL)
def test_path_traversal_names_stay_inside_the_upload_folder(
    app: Any, client: Any, owner_listing: Any, tmp_path: Path, name: str
) -> None:
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    response = _upload(client, owner_listing, name, PDF)
    assert response.status_code < 500
    created = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    for path in created:
        if path.suffix in (".db", ".db-journal", ".db-wal", ".db-shm", ".log"):
            continue
        assert path.resolve().parent == upload_dir, f"{path} written outside the upload folder"
    for attachment in _attachments(owner_listing):
        assert "/" not in attachment.original_name and "\\" not in attachment.original_name
        assert "<" not in attachment.original_name
        assert attachment.stored_name != attachment.original_name
        download = client.get(f"/attachments/{attachment.id}")
        assert download.status_code == 200
        disposition = download.headers.get("Content-Disposition", "")
        assert "/" not in disposition.split("filename", 1)[-1]


@pytest.mark.parametrize("case", list(POLYGLOTS), ids=list(POLYGLOTS))
def test_polyglots_are_served_as_inert_types(client: Any, owner_listing: Any, case: str) -> None:
    name, data = POLYGLOTS[case]
    response = _upload(client, owner_listing, name, data)
    assert response.status_code < 500
    stored = _attachments(owner_listing)
    assert len(stored) == 1  # genuine PDF/image bytes: accepted as what they are
    for attachment in stored:
        assert attachment.content_type in {
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
        }
        download = client.get(f"/attachments/{attachment.id}")
        assert download.mimetype == attachment.content_type
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in download.headers.get("Content-Security-Policy", "")
        if attachment.content_type == "application/pdf":
            assert download.headers["Content-Disposition"].startswith("attachment")


def test_an_outsider_cannot_upload_to_or_read_a_private_listing(
    app: Any, client: Any, make_user: Any, login_as: Any
) -> None:
    owner = make_user("researcher")
    listing = f.AchievementFactory(org=owner.org, owner=owner, status="draft", published_at=None)
    login_as(owner)
    assert _upload(client, listing, "ok.pdf", PDF).status_code < 400
    [attachment] = _attachments(listing)
    client.post("/logout", data={})
    outsider = make_user("researcher")
    other = app.test_client()
    from tests.conftest import login

    login(other, outsider)
    assert _upload(other, listing, "x.pdf", PDF).status_code in (403, 404)
    assert len(_attachments(listing)) == 1
    assert other.get(f"/attachments/{attachment.id}").status_code == 404
    assert app.test_client().get(f"/attachments/{attachment.id}").status_code == 404
