"""With real worker processes: registrations reach the figures; a killed rebuild loses nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.contracts.models import Contract
from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.jobs.services import create_job
from marketplace.seed.synthetic_contracts import generate_contracts
from marketplace.stats import rollup
from marketplace.stats.queries import build_summary
from tests.conftest import api_headers, login, wait_for
from tests.factories import SIGNED_PDF, OrganisationFactory, UserFactory

TODAY = date.today()


def _summary(client, headers):
    db.session.rollback()  # a fresh snapshot: the worker commits in another process
    response = client.get(f"/api/v1/stats/summary?year={TODAY.year}&region=330000", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.worker
def test_contract_registered_through_the_api_reaches_summary_and_dashboard(
    worker_app, start_worker
):
    start_worker("default")
    client = worker_app.test_client()
    admin, broker = UserFactory(role="admin"), UserFactory(role="broker")
    seller_id = OrganisationFactory(kind="university", region="330100").id
    buyer_id = OrganisationFactory(kind="enterprise", region="330300").id
    broker_id = broker.id
    a, b = api_headers(client, admin), api_headers(client, broker)
    assert _summary(client, a)["contract_count"] == 0

    response = client.post(
        "/api/v1/contracts",
        headers=b,
        json={
            "title": "高导热石墨烯膜技术开发合同",
            "type": "development",
            "subtype": "commissioned",
            "seller_org_id": seller_id,
            "buyer_org_id": buyer_id,
            "field": "new_materials",
            "signed_on": TODAY.isoformat(),
            "contract_amount": "8800000.00",
            "line_items": [
                {"description": "研发费", "amount": "6600000.00"},
                {"description": "中试设备", "amount": "2200000.00", "non_technical": True},
            ],
        },
    )
    assert response.status_code == 201, response.json
    contract_id = response.json["id"]
    assert (
        client.post(
            f"/api/v1/contracts/{contract_id}/signed-copy",
            headers=b,
            data={"file": (io.BytesIO(SIGNED_PDF), "signed.pdf")},
        ).status_code
        == 201
    )
    assert client.post(f"/api/v1/contracts/{contract_id}/submit", headers=b).status_code == 200
    response = client.post(f"/api/v1/contracts/{contract_id}/register", headers=a)
    assert response.status_code == 200, response.json

    body = wait_for(
        lambda: (lambda s: s if s["contract_count"] == 1 else None)(_summary(client, a)),
        timeout=60,
        message="the registration in the summary",
    )
    assert body["contract_amount"] == "8800000.00"
    assert body["tech_amount"] == "6600000.00"
    assert body["by_type"][0]["code"] == "development"
    assert body["top_brokers"][0]["broker_id"] == broker_id
    login(client, admin)
    html = client.get(f"/admin/stats?year={TODAY.year}&region=330000").get_data(as_text=True)
    assert 'data-figure="contract_count">1<' in html and ">880.00万元<" in html

    response = client.post(
        f"/api/v1/contracts/{contract_id}/void", headers=a, json={"reason": "双方协议解除"}
    )
    assert response.status_code == 200, response.json
    wait_for(
        lambda: _summary(client, a)["contract_count"] == 0,
        timeout=60,
        message="the void to take the contract out",
    )
    assert rollup.check_rollup() == []
    db.session.remove()
    runs = (
        db.session.execute(sa.select(JobRun).where(JobRun.kind == rollup.REFRESH_KIND))
        .scalars()
        .all()
    )
    assert runs and all(run.state == "succeeded" and run.finished_at for run in runs)


def _exact_totals() -> tuple[int, Decimal, Decimal]:
    db.session.remove()
    rows = db.session.execute(
        sa.select(Contract.contract_amount, Contract.tech_amount).where(
            Contract.status == "registered"
        )
    ).all()
    return (
        len(rows),
        sum((row[0] for row in rows), Decimal("0.00")),
        sum((row[1] for row in rows), Decimal("0.00")),
    )


def _rollup_totals() -> tuple[int, Decimal, Decimal]:
    db.session.remove()
    totals = Decimal("0.00"), Decimal("0.00")
    count = 0
    for year in range(TODAY.year - 5, TODAY.year + 1):
        output = build_summary(year, None).output
        count += output.contracts
        totals = totals[0] + output.contract_amount, totals[1] + output.tech_amount
    return count, totals[0], totals[1]


@pytest.mark.crash
@pytest.mark.worker
def test_sigkill_during_full_recompute_keeps_old_rollup_and_rerun_is_exact(
    worker_app, start_worker
):
    generate_contracts(400, seed=11)  # ends with a full recompute: consistent figures
    # Contracts change behind the rollup's back (no outbox message), so a rebuild has work.
    db.session.execute(
        sa.update(Contract)
        .where(Contract.id % 5 == 0, Contract.status == "registered")
        .values(status="void")
    )
    db.session.commit()
    before = rollup.actual_cells()
    assert rollup.check_rollup(), "the rollup should now lag the contracts"

    worker = start_worker("default")
    job = create_job(rollup.RECOMPUTE_KIND, params={"trigger": "test"})
    # Pauses inside the one rebuild transaction leave time to kill the worker mid-way.
    worker_app.extensions["celery"].send_task(
        "worker.tasks.stats.recompute_stats",
        kwargs={"job_id": job.id, "pause": 4.0},
        queue="default",
    )

    def running() -> bool:
        db.session.remove()
        return db.session.get(JobRun, job.id).state == "running"

    wait_for(running, timeout=60, message="the recompute to start")
    # Past the rebuild INSERT and the swap, before the commit: the rebuild logs "committing"
    # once the new cells are in place, then pauses inside its transaction.
    wait_for(
        lambda: f"(job {job.id}), step 2/3: committing" in worker.output(),
        timeout=60,
        interval=0.05,
        message="the rebuild to swap in the new cells",
    )
    worker.kill()

    db.session.remove()
    assert db.session.get(JobRun, job.id).state == "running", "killed before it could finish"
    assert rollup.actual_cells() == before, "the old rollup must be intact, not half-replaced"

    start_worker("default")
    rerun = create_job(rollup.RECOMPUTE_KIND, params={"trigger": "test"})
    worker_app.extensions["celery"].send_task(
        "worker.tasks.stats.recompute_stats", kwargs={"job_id": rerun.id}, queue="default"
    )

    def finished() -> JobRun | None:
        db.session.remove()
        run = db.session.get(JobRun, rerun.id)
        return run if run.state in ("succeeded", "failed") else None

    assert wait_for(finished, timeout=90, message="the rerun").state == "succeeded"
    assert rollup.check_rollup() == []
    assert _rollup_totals() == _exact_totals()
    db.session.remove()
    killed = db.session.get(JobRun, job.id)
    assert killed.state == "failed" and "interrupted" in killed.error
