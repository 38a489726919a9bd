"""The evaluation report as a printable PDF: scores per dimension, every comment, the panel."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from marketplace.experts.evaluations import Report
from marketplace.experts.vocab import DIMENSIONS, EVALUATION_PURPOSES, EXPERT_TITLES
from marketplace.pdf import Document
from marketplace.vocab import FIELDS
from marketplace.workdays import LOCAL_TZ


def _day(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if moment else ""


def report_pdf(report: Report) -> bytes:
    evaluation = report.evaluation
    doc = Document(
        _("Evaluation report"),
        subtitle=evaluation.subject_title,
        footer=_("Technology-transfer marketplace · evaluation %(id)s", id=evaluation.id),
    )
    doc.key_values(
        [
            (_("Organisation"), evaluation.org.name),
            (_("Purpose"), EVALUATION_PURPOSES.label(evaluation.purpose)),
            (_("Field"), FIELDS.label(evaluation.field, _("Unclassified"))),
            (_("Requested"), _day(evaluation.created_at)),
            (_("Completed"), _day(evaluation.completed_at)),
            (_("Overall score"), f"{report.overall:.1f} / 100"),
        ]
    )
    doc.heading(_("Scores by dimension (panel mean, 0–100)"))
    doc.table(
        [_("Dimension"), _("Panel mean")],
        [[str(term.label), f"{report.averages[term.code]:.1f}"] for term in DIMENSIONS],
        align=["left", "right"],
        col_widths=[3, 1],
    )
    doc.heading(_("Panel"))
    doc.table(
        [_("Expert"), _("Unit"), _("Professional title"), _("Mean score")],
        [
            [
                review.expert.user.display_name,
                review.expert.unit.name,
                EXPERT_TITLES.label(review.expert.title),
                f"{review.total:.1f}",
            ]
            for review in report.reviews
        ],
        align=["left", "left", "left", "right"],
        col_widths=[2, 3, 2, 1],
    )
    doc.heading(_("Comments"))
    for review in report.reviews:
        doc.paragraph(f"{review.expert.user.display_name}：{review.comment}")
    doc.paragraph(
        _(
            "Experts of the evaluated organisation, experts with declared ties to it in "
            "the last three years and experts the applicant excluded did not sit on "
            "the panel."
        ),
        size=8,
        muted=True,
    )
    return doc.to_bytes()
