"""stored files: uploaded files' bytes in the database; files already under UPLOAD_DIR are moved in

Attachments, voucher documents, instrument photos and queued imports keep the same random name
(``stored_name`` / ``photo_name``); the bytes now live in ``stored_files`` so that any web host
can serve them. The upgrade copies every file an owner row names from the old upload folder
(``UPLOAD_DIR`` of the app running the migration, i.e. ``<instance>/uploads``), one file at a
time. A named file missing on disk is reported and skipped (its download was already a 404).
The folder is left as it was: remove it once a backup of the upgraded database exists.

Revision ID: d3f1a9c4e217
Revises: ad14f3bb2625
Create Date: 2026-12-03 11:30:00

"""
import hashlib
from pathlib import Path

import filetype
import sqlalchemy as sa
from alembic import op
from flask import current_app

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'd3f1a9c4e217'
down_revision = 'ad14f3bb2625'
branch_labels = None
depends_on = None

# The owners of stored files at this revision: (table, name column, content type column).
OWNERS = (
    ("attachments", "stored_name", "content_type"),
    ("voucher_documents", "stored_name", "content_type"),
    ("instruments", "photo_name", None),
)

stored_files = sa.table(
    "stored_files",
    sa.column("name", sa.String), sa.column("content_type", sa.String),
    sa.column("size_bytes", sa.Integer), sa.column("sha256", sa.String),
    sa.column("data", sa.LargeBinary), sa.column("created_at", marketplace.database.UTCDateTime),
)


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _named_files(connection):
    for table, name_column, type_column in OWNERS:
        columns = [sa.column(name_column)] + ([sa.column(type_column)] if type_column else [])
        query = sa.select(*columns).select_from(sa.table(table)) \
            .where(sa.column(name_column).isnot(None))
        for row in connection.execute(query):
            yield row[0], (row[1] if type_column else None)


def upgrade():
    op.create_table(
        'stored_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', marketplace.database.UTCDateTime(), nullable=False),
        sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_stored_files_size')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
        sa.UniqueConstraint('name', name=op.f('uq_stored_files_name')),
    )
    connection = op.get_bind()
    folder = _upload_dir()
    moved = missing = 0
    for name, content_type in list(_named_files(connection)):
        # Names were made by the application (hex + extension); never follow anything else.
        path = folder / Path(name).name
        if not path.is_file():
            missing += 1
            print(f"stored_files: {path} is missing; skipped")
            continue
        data = path.read_bytes()
        if content_type is None:
            kind = filetype.guess(data[:8192])
            content_type = kind.mime if kind else "application/octet-stream"
        connection.execute(stored_files.insert().values(
            name=name, content_type=content_type, size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(), data=data,
            created_at=marketplace.database.utcnow()))
        moved += 1
    if moved or missing:
        print(f"stored_files: {moved} files moved from {folder} into the database, "
              f"{missing} missing")


def downgrade():
    # Write the bytes back where the previous release reads them, then drop the table.
    connection = op.get_bind()
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    rows = connection.execute(sa.select(sa.column("name"), sa.column("data"))
                              .select_from(sa.table("stored_files")))
    for name, data in rows:
        (folder / Path(name).name).write_bytes(bytes(data))
    op.drop_table('stored_files')
