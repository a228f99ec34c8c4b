from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Bind addresses meaning "every interface": they are never a Host header, so they need not (and should not)
# be listed in SUNSHINE_ALLOWED_HOSTS; the names clients actually use are what Django checks.
ALL_INTERFACES = {"0.0.0.0", "::", "[::]"}  # noqa: S104 - recognised, not bound here


def host_problem(host: str, allowed: list[str]) -> str | None:
    """Why serving on `host` with these ALLOWED_HOSTS cannot work, or None. A specific address is reached
    under that address, so it must be allowed; a wildcard bind needs some non-loopback name to be useful."""
    if host in LOOPBACK or "*" in allowed:
        return None
    if host in ALL_INTERFACES:
        if any(h not in LOOPBACK for h in allowed):
            return None
        return ("监听所有网络接口时,请在 SUNSHINE_ALLOWED_HOSTS 中列出用户访问本站所用的域名或 IP。"
                "List the names clients use in SUNSHINE_ALLOWED_HOSTS.")
    if host in allowed:
        return None
    return f"请在 SUNSHINE_ALLOWED_HOSTS 中加入 {host}。Add the host to SUNSHINE_ALLOWED_HOSTS."


def default_workers() -> int:
    """Worker processes: SUNSHINE_WEB_WORKERS (SUNSHINE_WORKERS, its older name), else one per CPU core.
    Rendering a page is Python work that holds the interpreter lock, so only processes use several cores;
    more processes than cores only add memory and database connections."""
    value = os.environ.get("SUNSHINE_WEB_WORKERS") or os.environ.get("SUNSHINE_WORKERS")
    return int(value) if value else max(2, os.cpu_count() or 1)


def default_threads() -> int:
    """Threads per worker (SUNSHINE_WEB_THREADS, default 4): while one request waits for the database,
    another renders; each thread holds its own database connection (workers × threads in all)."""
    return int(os.environ.get("SUNSHINE_WEB_THREADS") or 4)


def run_gunicorn(host: str, port: int, workers: int, threads: int = 4) -> None:
    """Serve the WSGI app with gunicorn (a production server); WhiteNoise serves the static files."""
    from gunicorn.app.base import BaseApplication

    from sunshine.config.wsgi import application

    class App(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", "-")
            # Access lines carry paths only; query strings may hold searched ID numbers.
            self.cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms')

        def load(self):  # noqa: ANN202 - gunicorn's interface
            return application

    App().run()


def start_worker() -> subprocess.Popen[bytes] | None:
    """The background worker for imports (django-tasks' db_worker), as a child process of this one.
    Not started when the task backend is not the database (e.g. the immediate backend)."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if not backend.startswith("django_tasks_db."):
        return None
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "sunshine.cli", "db_worker", "--no-reload", "--verbosity", "0"])


class Command(BaseCommand):
    help = "用生产级服务器(gunicorn)运行网站。Run the site with a production server."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None,
                            help="工作进程数,默认 SUNSHINE_WEB_WORKERS 或 CPU 核数")
        parser.add_argument("--threads", type=int, default=None,
                            help="每个进程的线程数,默认 SUNSHINE_WEB_THREADS 或 4")
        parser.add_argument("--no-task-worker", action="store_true", help="不启动后台任务进程 (db_worker)")

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"]
        if host not in LOOPBACK and "insecure" in settings.SECRET_KEY:
            raise CommandError("对外服务前请设置环境变量 SUNSHINE_SECRET_KEY。Set SUNSHINE_SECRET_KEY first.")
        problem = host_problem(host, list(settings.ALLOWED_HOSTS))
        if problem:
            raise CommandError(problem)
        call_command("init", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"阳光扶贫 Sunshine: http://{host}:{options['port']}/"))
        self.stdout.flush()
        worker = None if options["no_task_worker"] else start_worker()
        try:
            run_gunicorn(host, options["port"], options["workers"] or default_workers(),
                         options["threads"] or default_threads())
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
