"""Jobs tell the truth: a recompute whose worker was SIGKILLed reads "failed" within a minute,
and recompute requests while one is waiting coalesce into that one job."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.jobs.services import create_job
from marketplace.seed.synthetic_contracts import generate_contracts
from marketplace.stats import rollup
from tests.conftest import api_headers, login, wait_for
from tests.factories import UserFactory


@pytest.mark.crash
@pytest.mark.worker
def test_killed_recompute_reads_failed_and_requests_coalesce(worker_app, start_worker):
    generate_contracts(60, seed=3)
    client = worker_app.test_client()
    admin = UserFactory(role="admin")
    headers = api_headers(client, admin)
    worker = start_worker("default")
    job_id = create_job(rollup.RECOMPUTE_KIND, params={"trigger": "test"}).id
    # Pauses inside the rebuild keep it running long enough to be killed mid-way.
    worker_app.extensions["celery"].send_task(
        "worker.tasks.stats.recompute_stats",
        kwargs={"job_id": job_id, "pause": 20.0},
        queue="default",
    )

    def job_state() -> str:
        response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.json
        return str(response.json["state"])

    wait_for(lambda: job_state() == "running", timeout=60, message="the recompute to start")
    worker.kill()
    # No worker and no scheduler left: reading the job is enough to learn the truth.
    wait_for(
        lambda: job_state() == "failed",
        timeout=60,
        message="the killed recompute to read as failed",
    )
    body = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json
    assert "stopped before it finished" in body["error"]

    # Two requests while nothing consumes the queue: one queued job.
    first = client.post("/api/v1/stats/recompute", headers=headers)
    second = client.post("/api/v1/stats/recompute", headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json["job_id"] == second.json["job_id"]
    db.session.rollback()
    queued = (
        db.session.execute(
            sa.select(JobRun.id).where(
                JobRun.kind == rollup.RECOMPUTE_KIND, JobRun.state == "queued"
            )
        )
        .scalars()
        .all()
    )
    assert queued == [first.json["job_id"]]
    login(client, admin)
    page = client.get("/admin/stats/jobs").get_data(as_text=True)
    assert 'data-state="failed"' in page

    # A worker comes back: the queued job runs once, and the figures reconcile.
    start_worker("default")
    wait_for(
        lambda: (db.session.rollback(), db.session.get(JobRun, queued[0]).state)[1] == "succeeded",
        timeout=120,
        message="the coalesced recompute to run",
    )
    assert rollup.check_rollup() == []
