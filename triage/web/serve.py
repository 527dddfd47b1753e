"""Run the review UI with uvicorn: migrate (when enabled), build the engine, serve until stopped."""

from __future__ import annotations

import logging

import uvicorn

from store.db import make_engine
from store.migrate import upgrade
from triage.settings import Settings
from triage.web.app import create_app

log = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    if settings.auto_migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    app = create_app(settings, engine)
    if settings.secret_key.get_secret_value() == "change-me":
        log.warning("TRIAGE_SECRET_KEY is the default; set a real secret before exposing the UI")
    log.info("review UI on http://%s:%s/", settings.web_host, settings.web_port)
    try:
        uvicorn.run(app, host=settings.web_host, port=settings.web_port, log_config=None, proxy_headers=False)
    finally:
        engine.dispose()
