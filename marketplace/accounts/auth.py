"""Flask-Login wiring: the session id names a server-side sign-in session."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import User
from marketplace.accounts.services import user_for_login_session
from marketplace.extensions import login_manager


def init_login_manager(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "warning"
    # Flask-Login's own protection would only compare the client's address; our sessions
    # are revocable on the server, which covers stolen cookies properly.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        return user_for_login_session(session_id)
