"""`sunshine serve` sizes gunicorn from SUNSHINE_WEB_WORKERS / SUNSHINE_WEB_THREADS (or --workers/--threads);
by default one worker per CPU core (at least 2) with 4 threads each (issue 12, load)."""
from __future__ import annotations

import os
from unittest import mock

from django.core.management import call_command


def _served(monkeypatch, *args: str, **env: str) -> tuple[int, int]:  # noqa: ANN001 — pytest's fixture
    for name in ("SUNSHINE_WEB_WORKERS", "SUNSHINE_WEB_THREADS", "SUNSHINE_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock.patch("sunshine.core.management.commands.serve.run_gunicorn") as run, \
            mock.patch("sunshine.core.management.commands.serve.call_command"):
        call_command("serve", "--no-task-worker", *args)
    host, port, workers, threads = run.call_args.args
    return workers, threads


def test_defaults_follow_the_cores(db, monkeypatch) -> None:  # noqa: ANN001
    assert _served(monkeypatch) == (max(2, os.cpu_count() or 1), 4)


def test_environment_sets_workers_and_threads(db, monkeypatch) -> None:  # noqa: ANN001
    assert _served(monkeypatch, SUNSHINE_WEB_WORKERS="3", SUNSHINE_WEB_THREADS="8") == (3, 8)
    assert _served(monkeypatch, SUNSHINE_WORKERS="5") == (5, 4)  # the older name still works


def test_options_override_the_environment(db, monkeypatch) -> None:  # noqa: ANN001
    assert _served(monkeypatch, "--workers", "1", "--threads", "2", SUNSHINE_WEB_WORKERS="3") == (1, 2)
