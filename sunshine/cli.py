"""The `sunshine` console command: Django's management commands under one name.

`sunshine init`, `sunshine demo`, `sunshine serve`, `sunshine token` and every other management command."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["sunshine", *(args or ["help"])])


if __name__ == "__main__":
    main()
