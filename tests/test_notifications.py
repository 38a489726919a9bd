"""Notifications: written to the outbox with the change, delivered by a real worker."""

import sqlalchemy as sa

from marketplace.accounts import services
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.services import deliver
from marketplace.outbox import OutboxMessage, drain, pending_count
from tests.conftest import login, wait_for
from tests.factories import OrganisationFactory, UserFactory


def test_verification_is_queued_in_the_same_transaction(app):
    admin = UserFactory(role="admin")
    org = OrganisationFactory(verified=False)
    UserFactory(org=org)
    services.verify_organisation(admin, org.id)
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert message.topic == "notify" and message.payload["org_ids"] == [org.id]
    assert db.session.execute(sa.select(Notification)).first() is None  # the worker delivers


def test_delivery_is_idempotent(app):
    admin = UserFactory(role="admin")
    org = OrganisationFactory(verified=False)
    member = UserFactory(org=org)
    services.verify_organisation(admin, org.id)
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    deliver(message.payload, outbox_id=message.id)
    deliver(message.payload, outbox_id=message.id)  # a retried task must not notify twice
    db.session.commit()
    notes = db.session.execute(sa.select(Notification)).scalars().all()
    assert [n.user_id for n in notes] == [member.id]


def test_drain_marks_messages_processed(app):
    admin = UserFactory(role="admin")
    org = OrganisationFactory(verified=False)
    UserFactory(org=org)
    services.verify_organisation(admin, org.id)
    handled = drain("notify", lambda payload, message_id: deliver(payload, outbox_id=message_id))
    assert handled == 1 and pending_count("notify") == 0


def test_a_locked_database_is_not_counted_against_the_message(app, caplog):
    """Regression: "database is locked" (another process writing the SQLite file) counted as a
    failed attempt, and after five the message was marked processed — the notification, index
    update or statistics update was lost. Now the drain stops quietly (one INFO line, no
    traceback) and leaves the message for the next drain."""
    import logging
    import sqlite3

    admin = UserFactory(role="admin")
    org = OrganisationFactory(verified=False)
    UserFactory(org=org)
    services.verify_organisation(admin, org.id)

    def locked(payload, message_id):
        raise sa.exc.OperationalError(
            "INSERT INTO notifications", {}, sqlite3.OperationalError("database is locked")
        )

    with caplog.at_level(logging.INFO, logger="marketplace.outbox"):
        for _attempt in range(6):
            assert drain("notify", locked) == 0
    ours = [record for record in caplog.records if record.name.startswith("marketplace")]
    assert ours and all(
        record.levelno == logging.INFO and record.exc_info is None for record in ours
    )
    assert "busy" in caplog.text
    message = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert message.processed_at is None and message.attempts == 0
    assert drain("notify", lambda payload, message_id: deliver(payload, outbox_id=message_id)) == 1
    assert pending_count("notify") == 0
    assert db.session.execute(sa.select(Notification)).scalar() is not None


def test_notification_is_delivered_by_a_real_worker(worker_app, start_worker):
    admin = UserFactory(role="admin")
    org = OrganisationFactory(verified=False, name="待验证研究院", kind="institute")
    member = UserFactory(org=org, role="researcher")
    start_worker("default")
    services.verify_organisation(admin, org.id)

    def delivered():
        db.session.rollback()  # see the worker's commits
        return db.session.execute(
            sa.select(Notification).where(Notification.user_id == member.id)
        ).scalar()

    note = wait_for(delivered, timeout=90, message="the worker to deliver the notification")
    assert note.kind == "org_verified"
    client = worker_app.test_client()
    login(client, member)
    page = client.get("/notifications").get_data(as_text=True)
    assert "待验证研究院" in page


def test_email_is_sent_when_smtp_is_configured(make_app, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            self.host = host

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            sent.append(message)

    monkeypatch.setattr("marketplace.notifications.services.smtplib.SMTP", FakeSMTP)
    app = make_app(MAIL_SERVER="smtp.example.cn")
    with app.app_context():
        admin = UserFactory(role="admin")
        org = OrganisationFactory(verified=False, name="邮件测试公司")
        member = UserFactory(org=org, locale="zh_CN")
        services.verify_organisation(admin, org.id)
        drain("notify", lambda payload, message_id: deliver(payload, outbox_id=message_id))
        note = db.session.execute(sa.select(Notification)).scalar_one()
        assert note.emailed_at is not None
        member_email = member.email
    assert [m["To"] for m in sent] == [member_email]
    assert "邮件测试公司" in sent[0].get_content()
