"""GET /jobs/<id>: state and progress of a background job."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.api.common import api_user, errors
from marketplace.jobs.services import get_job_for

blp = Blueprint("api_jobs", __name__, description="Background jobs")


class JobSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    state = fields.String()
    progress = fields.Float()
    message = fields.String()
    rows = fields.Integer()
    error = fields.String(allow_none=True)
    result = fields.Dict()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)


@blp.route("/jobs/<int:job_id>")
class JobResource(MethodView):
    @blp.response(200, JobSchema)
    @errors(blp, 403, 404)
    def get(self, job_id: int) -> Any:
        """State and progress of a job you started (admins see all)."""
        return get_job_for(api_user(), job_id)
