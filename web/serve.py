"""Run the app under gunicorn: gthread workers, each building its own app and loading the
models after it has forked (a Kiwi built before a fork hangs in the child, so the app is
never preloaded in the master)."""

from __future__ import annotations

import os
import time

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

from search.config import Settings
from search.searcher import SearchService
from search.store import IndexNotFound

from .app import create_app


class Server(BaseApplication):
    """gunicorn configured from ``[server]`` of the settings, not from its command line."""

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.settings = settings
        self.options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": settings.server.workers or os.cpu_count() or 1,
            "worker_class": "gthread",
            "threads": max(1, settings.server.threads),
            "preload_app": False,
            "post_worker_init": _warm_up,
            "when_ready": _announce,
            "proc_name": "hansearch",
            "control_socket_disable": True,
            "loglevel": "info",
        }
        self.service: SearchService | None = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Called in each worker after the fork: its own service and app."""
        self.service = SearchService(self.settings)
        return create_app(self.settings, self.service)


def _warm_up(worker: Worker) -> None:
    started = time.monotonic()
    try:
        worker.app.service.warm_up()
    except IndexNotFound as exc:
        worker.log.warning("worker %d: %s; answering 503 until there is one", os.getpid(), exc)
        return
    worker.log.info("worker %d: models loaded in %.1f s", os.getpid(), time.monotonic() - started)


def _announce(arbiter: Arbiter) -> None:
    cfg = arbiter.cfg
    for listener in arbiter.LISTENERS:
        print(
            f"hansearch: serving the search page at {listener}/ and the API at {listener}/api/"
            " "
            f"({cfg.workers} workers x {cfg.threads} threads); Ctrl-C stops",
            flush=True,
        )


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve until stopped (SIGTERM or Ctrl-C); gunicorn exits the process when done."""
    Server(
        settings,
        host if host is not None else settings.server.host,
        port if port is not None else settings.server.port,
    ).run()
