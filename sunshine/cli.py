"""The `sunshine` console command: Django's management commands under one name.

`sunshine init`, `sunshine demo`, `sunshine serve`, `sunshine token` and every other management command.

Two things happen here, before Django's command runs:
- `sunshine serve` is marked ``SUNSHINE_PROCESS=web`` so that the settings give its requests PostgreSQL's short
  statement and transaction limits; batch commands (imports, runs, the background worker that serve starts,
  backup) are marked ``batch`` and keep the long ones;
- commands that start work (the server and its worker, imports and runs) first mark failed the jobs left
  "进行中" by a process that died (``sunshine.core.jobs``); `sunshine init` does it after migrating.
"""

from __future__ import annotations

import os
import sys

WEB_COMMANDS = {"serve", "runserver"}
BATCH_COMMANDS = {"db_worker", "import", "dataset", "compare", "monitor", "assess", "demo", "backup", "restore",
                  "indicators"}
RECOVER_BEFORE = {"serve", "db_worker", "import", "dataset", "compare", "monitor", "assess"}
RECOVER_AFTER = {"init"}


def _recover_jobs() -> None:
    import django

    django.setup()
    from django.db import connections

    from sunshine.core.jobs import recover_stale_jobs

    count = recover_stale_jobs()
    connections.close_all()  # not carried into gunicorn's forked workers
    if count:
        print(f"已将 {count} 个中断的任务标记为失败(执行它们的进程已停止)。", file=sys.stderr)  # noqa: T201


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    if command in WEB_COMMANDS:
        os.environ["SUNSHINE_PROCESS"] = "web"
    elif command in BATCH_COMMANDS:
        os.environ["SUNSHINE_PROCESS"] = "batch"  # also when started by `serve` (its db_worker)
    if command in RECOVER_BEFORE:
        _recover_jobs()
    execute_from_command_line(["sunshine", *(args or ["help"])])
    if command in RECOVER_AFTER:
        _recover_jobs()


if __name__ == "__main__":
    main()
