"""Uploaded files live in the database: served from it in slices, gone with their owner, and
moved in from the old upload folder by the migration that introduced them."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace import storage
from marketplace.extensions import db
from marketplace.listings.models import Attachment
from tests import factories as f

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"%%EOF\n"
)
# Three and a bit slices of storage.CHUNK_BYTES, so the download is streamed.
BIG_PDF = PDF.replace(
    b"trailer", b"".join(b"%% line %08d\n" % n for n in range(50_000)) + b"trailer"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def owner(make_user: Any, login_as: Any) -> Any:
    user = make_user("researcher")
    login_as(user)
    return user


def _upload(client: Any, listing_id: int, name: str, data: bytes) -> Any:
    return client.post(
        f"/listings/{listing_id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_large_attachment_is_streamed_from_the_database_and_revalidated_by_etag(
    app: Any, client: Any, owner: Any, instance_dir: Path
) -> None:
    assert len(BIG_PDF) > 3 * storage.CHUNK_BYTES
    listing = f.AchievementFactory(org=owner.org, owner=owner, status="published")
    db.session.commit()
    assert _upload(client, listing.id, "工艺说明书.pdf", BIG_PDF).status_code == 302
    attachment = db.session.execute(sa.select(Attachment)).scalar_one()

    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.get_data() == BIG_PDF
    assert response.headers["Content-Length"] == str(len(BIG_PDF))
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%B7%A5" in response.headers["Content-Disposition"]
    etag = hashlib.sha256(BIG_PDF).hexdigest()
    assert response.headers["ETag"] == f'"{etag}"'
    again = client.get(f"/attachments/{attachment.id}", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304 and again.get_data() == b""

    # Anonymous visitors read a published listing's attachments too; nothing was written to
    # the instance folder along the way.
    assert app.test_client().get(f"/attachments/{attachment.id}").get_data() == BIG_PDF
    assert not (instance_dir / "uploads").exists()


def test_an_images_is_shown_inline_and_a_draft_s_attachment_stays_private(
    app: Any, client: Any, owner: Any
) -> None:
    listing = f.AchievementFactory(org=owner.org, owner=owner, status="draft", published_at=None)
    db.session.commit()
    assert _upload(client, listing.id, "photo.png", PNG).status_code == 302
    attachment = db.session.execute(sa.select(Attachment)).scalar_one()
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 200 and response.get_data() == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "inline; filename=photo.png"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert app.test_client().get(f"/attachments/{attachment.id}").status_code == 404


def test_stored_bytes_go_with_their_attachment_and_their_listing(client: Any, owner: Any) -> None:
    listing = f.AchievementFactory(org=owner.org, owner=owner, status="draft", published_at=None)
    db.session.commit()
    for name in ("a.pdf", "b.pdf"):
        assert _upload(client, listing.id, name, PDF).status_code == 302
    first, second = db.session.execute(sa.select(Attachment).order_by(Attachment.id)).scalars()
    assert storage.names() == sorted([first.stored_name, second.stored_name])

    client.post(f"/attachments/{first.id}/delete")
    db.session.expire_all()
    assert storage.names() == [second.stored_name]

    client.post(f"/listings/{listing.id}/delete")
    db.session.expire_all()
    assert db.session.execute(sa.select(Attachment)).first() is None
    assert storage.names() == []


def test_a_failed_transaction_stores_no_bytes(app: Any, owner: Any, monkeypatch: Any) -> None:
    from marketplace.listings import attachments

    listing = f.AchievementFactory(org=owner.org, owner=owner, status="draft", published_at=None)
    db.session.commit()

    def refuse() -> None:
        raise RuntimeError("the database went away at commit")

    monkeypatch.setattr(db.session, "commit", refuse)
    with pytest.raises(RuntimeError):
        attachments.add_listing_attachment(owner, listing.id, attachments.Upload("a.pdf", PDF))
    monkeypatch.undo()
    db.session.rollback()
    assert storage.names() == []


def test_an_instrument_photo_is_public_and_replacing_it_drops_the_old_bytes(
    app: Any, make_user: Any
) -> None:
    from marketplace.instruments import services
    from marketplace.listings.attachments import Upload

    manager = make_user("researcher")
    instrument = f.InstrumentFactory(org=manager.org)
    db.session.commit()
    services.set_instrument_photo(manager, instrument.id, Upload("a.png", PNG))
    first = instrument.photo_name
    response = app.test_client().get(f"/instruments/{instrument.id}/photo")
    assert response.status_code == 200 and response.get_data() == PNG
    assert response.mimetype == "image/png"
    assert "max-age=3600" in response.headers["Cache-Control"]
    services.set_instrument_photo(manager, instrument.id, Upload("b.png", PNG + b"\x00"))
    assert storage.names() == [instrument.photo_name] != [first]
    assert app.test_client().get(f"/instruments/{instrument.id}/photo").get_data() == PNG + b"\x00"


def test_the_migration_moves_files_from_the_old_upload_folder_into_the_database(
    app: Any, make_user: Any
) -> None:
    from flask_migrate import downgrade, upgrade

    owner = make_user("researcher")
    listing = f.AchievementFactory(org=owner.org, owner=owner, status="published")
    instrument = f.InstrumentFactory(org=owner.org)
    db.session.commit()
    ids = (listing.id, owner.id, instrument.id)
    db.session.remove()
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    downgrade(revision="ad14f3bb2625")
    try:
        # The previous release's layout: owner rows naming files in the upload folder.
        (folder / ("a" * 32 + ".pdf")).write_bytes(PDF)
        (folder / ("b" * 32 + ".png")).write_bytes(PNG)
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO attachments (listing_id, uploaded_by_id, original_name,"
                    " stored_name,"
                    " content_type, size_bytes, created_at) VALUES (:listing, :user, '方案.pdf', "
                    ":name, 'application/pdf', :size, CURRENT_TIMESTAMP)"
                ),
                {"listing": ids[0], "user": ids[1], "name": "a" * 32 + ".pdf", "size": len(PDF)},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO attachments (listing_id, uploaded_by_id, original_name,"
                    " stored_name,"
                    " content_type, size_bytes, created_at) VALUES (:listing, :user, 'lost.pdf', "
                    ":name, 'application/pdf', 10, CURRENT_TIMESTAMP)"
                ),
                {"listing": ids[0], "user": ids[1], "name": "c" * 32 + ".pdf"},
            )
            connection.execute(
                sa.text("UPDATE instruments SET photo_name = :name WHERE id = :id"),
                {"name": "b" * 32 + ".png", "id": ids[2]},
            )
    finally:
        upgrade()

    rows = {
        row.name: row
        for row in db.session.execute(
            sa.select(
                storage.StoredFile.name,
                storage.StoredFile.content_type,
                storage.StoredFile.sha256,
                storage.StoredFile.size_bytes,
            )
        )
    }
    assert set(rows) == {"a" * 32 + ".pdf", "b" * 32 + ".png"}  # the lost one is skipped
    assert rows["b" * 32 + ".png"].content_type == "image/png"
    assert rows["a" * 32 + ".pdf"].sha256 == hashlib.sha256(PDF).hexdigest()
    attachment_id = db.session.execute(
        sa.select(Attachment.id).where(Attachment.stored_name == "a" * 32 + ".pdf")
    ).scalar_one()
    client = app.test_client()
    assert client.get(f"/attachments/{attachment_id}").get_data() == PDF
    assert client.get(f"/instruments/{ids[2]}/photo").get_data() == PNG
