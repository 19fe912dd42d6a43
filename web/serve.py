"""Run the app under gunicorn: gthread workers, each building its own app and loading the
models after it has forked (a Kiwi built before a fork hangs in the child, so the app is
never preloaded in the master)."""

from __future__ import annotations

import os
import socket
import threading
import time

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

from search.config import Settings
from search.searcher import SearchService
from search.store import IndexNotFound, IndexUnavailable

from .app import create_app

# How often a worker looks for a switched generation to let go of the old one's files.
RELEASE_SECONDS = 2.0


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
            # The app's own limits answer long queries and ids (in JSON under /api), not
            # gunicorn's 4 KB request line: unlimited here means gunicorn's 1 MB cap.
            "limit_request_line": 0,
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
    service = worker.app.service
    _release_stale_searchers(service)
    started = time.monotonic()
    try:
        service.warm_up()
    except (IndexNotFound, IndexUnavailable) as exc:
        worker.log.warning("worker %d: %s; answering 503 until there is one", os.getpid(), exc)
        return
    except Exception:  # whatever else: the worker stays up; requests will say what is wrong
        worker.log.exception(
            "worker %d: warm-up failed; answering 503 until there is one", os.getpid()
        )
        return
    worker.log.info("worker %d: models loaded in %.1f s", os.getpid(), time.monotonic() - started)


def _release_stale_searchers(service: SearchService) -> None:
    """Close idle searchers of a generation no longer served, even when no request comes,
    so deleted generations' files are let go."""

    def watch() -> None:
        while True:
            time.sleep(RELEASE_SECONDS)
            try:
                service.release_stale()
            except Exception:  # a CURRENT being replaced, a damaged index: next round
                continue

    threading.Thread(target=watch, name="release-stale", daemon=True).start()


def _announce(arbiter: Arbiter) -> None:
    cfg = arbiter.cfg
    for listener in arbiter.LISTENERS:
        print(
            f"hansearch: serving the search page at {listener}/ and the API at {listener}/api/"
            " "
            f"({cfg.workers} workers x {cfg.threads} threads); Ctrl-C stops",
            flush=True,
        )


class CannotListen(RuntimeError):
    """The address cannot be listened on: a bad port, an address in use or not ours."""


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve until stopped (SIGTERM or Ctrl-C); gunicorn exits the process when done."""
    host = host if host is not None else settings.server.host
    port = port if port is not None else settings.server.port
    _check_address(host, port)
    Server(settings, host, port).run()


def _check_address(host: str, port: int) -> None:
    """Say in one line why the address cannot be used, before gunicorn tries (and retries)."""
    if not 1 <= port <= 65535:
        raise CannotListen(f"port {port} is not a port: use 1 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CannotListen(f"cannot listen on {host}:{port}: {error.strerror}") from None
