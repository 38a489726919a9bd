"""Technology-transfer marketplace (科技大市场): the Flask application factory.

The ``register_*`` steps import the feature packages when an app is built, not at the top of this
module: the package's ``__init__`` runs for every ``import marketplace.<module>``, and importing
``marketplace.money`` must not load every blueprint (nor make every module depend on all others).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | str | None = None, **overrides: Any) -> Flask:
    """Build the web application; ``config`` is a Config or an environment name."""
    settings = config if isinstance(config, Config) else load_config(config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(settings.INSTANCE_DIR),
    )
    app.config.from_object(settings)
    app.config.update(overrides)

    from marketplace.i18n import check_catalogs

    check_catalogs()

    register_extensions(app)
    register_input_boundary(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def select_locale() -> str:
    """Explicit choice in this browser, then the user's preference, then zh_CN."""
    languages = current_app.config["LANGUAGES"]
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    user = getattr(g, "api_user", None) or (current_user if current_user else None)
    preferred = getattr(user, "locale", None) if user is not None else None
    if preferred in languages:
        return str(preferred)
    return default


def register_extensions(app: Flask) -> None:
    from marketplace import models  # noqa: F401  (every model registered before migrations)
    from marketplace.accounts.auth import init_login_manager
    from marketplace.database import configure_engine
    from marketplace.extensions import (
        babel,
        bootstrap,
        celery_init_app,
        csrf,
        db,
        limiter,
        migrate,
        talisman,
    )
    from marketplace.listings.view_counts import init_view_counter
    from marketplace.search.search_rows import register_search_rows_upkeep
    from marketplace.search.vectors import register_vector_upkeep

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config.get("SQLITE_IMMEDIATE_REQUESTS", True))
    # PostgreSQL: every flush keeps listings' search words and search rows current (same
    # transaction): the words before the listing is written, its narrow row after.
    register_vector_upkeep()
    register_search_rows_upkeep()
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "marketplace" / "translations"),
    )
    bootstrap.init_app(app)
    limiter.init_app(app)
    init_login_manager(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            # Chart libraries set inline style attributes; scripts stay strictly external.
            "style-src": "'self' 'unsafe-inline'",
            "img-src": "'self' data:",
            "font-src": "'self' data:",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        strict_transport_security=app.config["SESSION_COOKIE_SECURE"],
    )
    celery_init_app(app)
    init_view_counter(app)


def register_input_boundary(app: Flask) -> None:
    from marketplace.boundary import init_boundary

    init_boundary(app)


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` limited to what an id column can hold (PostgreSQL ``integer``), so
    /contracts/99999999999 is a plain 404 instead of a database overflow error."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)  # marketplace.database.MAX_ID
        super().__init__(url_map, *args, **kwargs)


def register_url_converters(app: Flask) -> None:
    # Before any blueprint: rules pick their converters when they are added.
    app.url_map.converters["int"] = DatabaseIdConverter


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.api import init_api
    from marketplace.auctions.views import bp as auctions_bp
    from marketplace.contracts.views import bp as contracts_bp
    from marketplace.deals.views import bp as deals_bp
    from marketplace.events.views import bp as events_bp
    from marketplace.experts.evaluation_views import bp as evaluations_bp
    from marketplace.experts.views import bp as experts_bp
    from marketplace.instruments.views import bp as instruments_bp
    from marketplace.listings.admin_views import bp as listings_admin_bp
    from marketplace.listings.views import bp as listings_bp
    from marketplace.main.views import bp as main_bp
    from marketplace.notifications.views import bp as notifications_bp
    from marketplace.rankings.views import bp as rankings_bp
    from marketplace.registry.views import bp as registry_bp
    from marketplace.search.views import bp as search_bp
    from marketplace.stats.views import bp as stats_bp
    from marketplace.vouchers.views import bp as vouchers_bp
    from marketplace.workspace.views import bp as workspace_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(listings_bp)
    app.register_blueprint(listings_admin_bp)
    app.register_blueprint(deals_bp)
    app.register_blueprint(contracts_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(auctions_bp)
    app.register_blueprint(instruments_bp)
    app.register_blueprint(vouchers_bp)
    app.register_blueprint(rankings_bp)
    app.register_blueprint(experts_bp)
    app.register_blueprint(evaluations_bp)
    app.register_blueprint(events_bp)
    init_api(app)


def register_errorhandlers(app: Flask) -> None:
    from marketplace.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from marketplace.cli import register_cli

    register_cli(app)


def register_template_helpers(app: Flask) -> None:
    from marketplace.templating import init_templating

    init_templating(app)
    from marketplace.search.views import init_search_templating

    init_search_templating(app)

    @app.before_request
    def remember_language_switch() -> None:
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["locale"] = lang
