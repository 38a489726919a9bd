"""Bulk import and export: the real data set, re-imports, bad rows, formats, the web job."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa
from openpyxl import Workbook

from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.listings.exporting import export_bytes
from marketplace.listings.importing import ImportFileError, ImportOptions, run_import
from marketplace.listings.models import Listing
from tests.conftest import ROOT, SHARED_DATA
from tests.listings.helpers import listing_count, outbox_ids

# The shared data sits beside the checkout (../shared); a git worktree is one level deeper.
_DATA = next(
    (path for path in (SHARED_DATA, ROOT.parent.parent / "shared" / "data") if path.is_dir()),
    SHARED_DATA,
)
ACHIEVEMENTS = _DATA / "listings" / "achievements.jsonl"
DEMANDS = _DATA / "listings" / "demands.jsonl"


def test_cli_imports_real_achievements_and_reimport_creates_no_duplicates(app):
    runner = app.test_cli_runner()
    args = ["import", "achievements", str(ACHIEVEMENTS), "--org", "示例大学", "--publish"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "2657 created" in result.output
    published = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Listing)
        .where(Listing.status == "published", Listing.kind == "achievement")
    ).scalar_one()
    assert published == 2657
    unclassified = db.session.execute(
        sa.select(sa.func.count()).select_from(Listing).where(Listing.field.is_(None))
    ).scalar_one()
    assert unclassified == 140  # rows without a field are kept, shown as unclassified
    assert len(outbox_ids("search")) == 2657 and len(outbox_ids("matching")) == 2657
    result = runner.invoke(args=args)
    assert result.exit_code == 0 and "2657 unchanged" in result.output
    assert listing_count() == 2657


def test_cli_imports_real_demands(app):
    result = app.test_cli_runner().invoke(
        args=["import", "demands", str(DEMANDS), "--org", "示例企业", "--publish"]
    )
    assert result.exit_code == 0, result.output
    assert listing_count() == 1508


def _options(org, **kw):
    return ImportOptions(kind=kw.pop("kind", "achievement"), org_id=org.id, **kw)


def _jsonl(rows):
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()


ROWS = [
    {
        "ref": "R1",
        "title": "一种茶叶杀青设备",
        "summary": "滚筒式杀青",
        "field": "agriculture",
        "maturity": 6,
        "price": "80000.00",
    },
    {"ref": "R2", "title": "", "summary": "没有标题", "price": "NaN"},
    {"ref": "R3", "title": "水处理膜", "summary": "反渗透", "field": "water", "maturity": 12},
    {"ref": "R1", "title": "重复的参考号"},
]


def test_bad_rows_import_nothing_and_are_reported_by_row_and_field(orgs):
    report = run_import(_jsonl(ROWS), "jsonl", _options(orgs["uni"]))
    assert not report.imported and listing_count() == 0
    found = {(e.row, e.field) for e in report.errors}
    assert found == {(2, "title"), (2, "price"), (3, "field"), (3, "maturity"), (4, "ref")}
    report = run_import(_jsonl(ROWS), "jsonl", _options(orgs["uni"], skip_invalid=True))
    assert report.imported and report.created == 1 and report.skipped == 3
    assert listing_count() == 1


def test_dry_run_writes_nothing(orgs):
    report = run_import(_jsonl(ROWS[:1]), "jsonl", _options(orgs["uni"], dry_run=True))
    assert report.created == 1 and not report.imported and listing_count() == 0


def test_same_ref_updates_only_within_the_same_organisation(orgs):
    run_import(_jsonl(ROWS[:1]), "jsonl", _options(orgs["uni"], publish=True))
    changed = dict(ROWS[0], title="一种茶叶杀青设备（改进型）")
    report = run_import(_jsonl([changed]), "jsonl", _options(orgs["uni"], publish=True))
    assert report.updated == 1 and listing_count() == 1
    report = run_import(_jsonl([changed]), "jsonl", _options(orgs["uni2"], publish=True))
    assert report.created == 1 and listing_count() == 2


def test_csv_and_xlsx_round_trip_through_export(orgs):
    run_import(_jsonl(ROWS[:1]), "jsonl", _options(orgs["uni"], publish=True))
    listings = db.session.execute(sa.select(Listing)).scalars().all()
    for fmt in ("csv", "xlsx"):
        data = export_bytes("achievement", listings, fmt)
        report = run_import(data, fmt, _options(orgs["uni"], publish=True))
        assert report.imported and report.unchanged == 1, report.errors
    assert listing_count() == 1


def test_xlsx_with_typed_cells_and_gbk_csv(orgs):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ref", "title", "summary", "field", "maturity", "price", "modes"])
    sheet.append(["X1", "电池回收", "湿法冶金回收锂", "new_energy", 5, 120000, "transfer;license"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run_import(buffer.getvalue(), "xlsx", _options(orgs["uni"]))
    assert report.imported, report.errors
    listing = db.session.execute(sa.select(Listing)).scalar_one()
    assert listing.price == 120000 and listing.modes == ["transfer", "license"]
    csv_text = "ref,title,summary\nG1,农机导航,北斗导航\n"
    report = run_import(csv_text.encode("gb18030"), "csv", _options(orgs["uni"]))
    assert report.imported and listing_count() == 2


def test_malformed_files_are_refused_with_a_message(orgs):
    for data, fmt in (
        (b"PK\x03\x04 not really a zip", "xlsx"),
        (b"\x00\x01garbage", "xlsx"),
        (b"no,name,column\n1,2,3\n", "csv"),
    ):
        try:
            run_import(data, fmt, _options(orgs["uni"]))
        except ImportFileError as error:
            assert error.fields["file"]
        else:
            raise AssertionError(f"{fmt} accepted")
    assert listing_count() == 0


def test_web_import_job_reports_progress_and_result(client, users, login_as, app):
    login_as(users["researcher"])
    client.get("/lang/en")  # the assertions below read the English messages
    response = client.post(
        "/listings/import",
        data={
            "kind": "achievement",
            "mode": "submit",
            "file": (io.BytesIO(_jsonl(ROWS[:1])), "mine.jsonl"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    job = db.session.execute(sa.select(JobRun)).scalar_one()
    assert job.state == "queued" and job.params["org_id"] == users["researcher"].org_id
    from worker.tasks.imports import import_listings

    import_listings.run(job.id)  # what the worker runs
    db.session.expire_all()
    job = db.session.get(JobRun, job.id)
    assert job.state == "succeeded" and job.progress == 1.0 and job.result["created"] == 1
    assert db.session.execute(sa.select(Listing.status)).scalar_one() == "pending"
    api = client.get(f"/api/v1/jobs/{job.id}").json
    assert api["state"] == "succeeded"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 new" in page


def test_web_import_refuses_malformed_xlsx_and_foreign_kinds(client, users, login_as):
    login_as(users["researcher"])
    client.get("/lang/en")  # the assertions below read the English messages
    response = client.post(
        "/listings/import",
        data={
            "kind": "achievement",
            "mode": "draft",
            "file": (io.BytesIO(b"MZ\x90\x00 executable"), "data.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "not a readable XLSX" in response.get_data(as_text=True)
    response = client.post(
        "/listings/import",
        data={
            "kind": "achievement",
            "mode": "publish",
            "file": (io.BytesIO(_jsonl(ROWS[:1])), "a.jsonl"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Only administrators can publish" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(JobRun)).scalar_one() == 0
