from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("生成可复现的合成演示区域并启动网站。Generate a reproducible synthetic demo region, create a demo "
            "user for each role, print their passwords and serve the site.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--county", default="320321", help="6位县级代码,默认丰县 320321")
        parser.add_argument("--no-serve", action="store_true")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        from sunshine.demo.generator import generate_region
        from sunshine.demo.users import create_demo_users

        call_command("init", verbosity=0)
        started = time.perf_counter()
        self.stdout.write(f"生成演示数据 generating {options['households']} households (seed {options['seed']})…")
        summary = generate_region(
            households=options["households"], seed=options["seed"], county_code=options["county"],
            replace=True,
        )
        self.stdout.write(self.style.SUCCESS(f"{summary} ({time.perf_counter() - started:.1f} s)"))
        self.stdout.write("演示账号 demo users (用户名 / 密码 / 角色 / 区划):")
        for username, password, role, division in create_demo_users(
            county_code=options["county"], seed=options["seed"]
        ):
            self.stdout.write(f"  {username:<12} {password:<20} {role:<8} {division}")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])
