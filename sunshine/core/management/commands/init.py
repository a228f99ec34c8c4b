from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "创建或升级数据库(可重复执行)。Create or migrate the database; safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        db = settings.DATABASES["default"]
        where = db["NAME"] if "sqlite" in db["ENGINE"] else f'{db.get("HOST")}:{db.get("PORT")}/{db["NAME"]}'
        self.stdout.write(self.style.SUCCESS(f"数据库已就绪 database ready: {where}"))
