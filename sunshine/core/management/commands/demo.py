from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = ("生成可复现的合成演示区域并启动网站。Generate a reproducible synthetic demo region, create a demo "
            "user for each role, print their passwords and serve the site.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--county", default="320321", help="6位县级代码,默认丰县 320321")
        parser.add_argument("--no-serve", action="store_true")
        parser.add_argument("--no-comparison", action="store_true",
                            help="不生成部门数据、比对批次、监测批次、评估、案件和抽样")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        from sunshine.core.models import User
        from sunshine.demo.generator import generate_region
        from sunshine.demo.reset import clear_previous_demo
        from sunshine.demo.users import create_demo_users

        call_command("init", verbosity=0)
        started = time.perf_counter()
        # What the previous demo made county-wide (runs, warnings, dataset versions, cases, draws) goes first.
        cleared = {k: v for k, v in clear_previous_demo(options["county"]).items() if v}
        if cleared:
            self.stdout.write(f"已清除上次演示的数据 cleared the previous demo: {cleared}")
        self.stdout.write(f"生成演示数据 generating {options['households']} households (seed {options['seed']})…")
        summary = generate_region(
            households=options["households"], seed=options["seed"], county_code=options["county"],
            replace=True,
        )
        self.stdout.write(self.style.SUCCESS(f"{summary} ({time.perf_counter() - started:.1f} s)"))
        users = create_demo_users(county_code=options["county"], seed=options["seed"])
        self._compare(options)
        self._refresh(summary.years)
        if connection.vendor == "postgresql":
            # Fresh statistics for every table the demo filled: without them the first pages are planned for
            # empty tables (4 rows estimated for a thousand warnings) until autovacuum comes round.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # Printed last: the scenario binds the clerk to the village where its cases are.
        self.stdout.write("演示账号 demo users (用户名 / 密码 / 角色 / 区划):")
        divisions = dict(User.objects.filter(username__in=[u[0] for u in users])
                         .values_list("username", "division__name"))
        for username, password, role, division in users:
            self.stdout.write(f"  {username:<12} {password:<20} {role:<8} {divisions.get(username) or division}")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])

    def _refresh(self, years: tuple[int, ...]) -> None:
        """Every indicator of every generated year, so that the cockpit has figures at once."""
        from sunshine.dashboard.refresh import refresh

        for year in years:
            outcome = refresh(year=year, trigger="demo")
            self.stdout.write(f"统计指标 indicators {year}: {outcome.rows} 行 rows ({outcome.seconds:.1f} s)")

    def _compare(self, options: dict[str, Any]) -> None:
        """Synthetic department data for the region, a first comparison run over it, and a monitoring run."""
        if options["no_comparison"]:
            return
        from django.conf import settings

        from sunshine.core.choices import Role
        from sunshine.core.models import User
        from sunshine.demo.comparison import load_demo_comparison

        admin = next((u for u in User.objects.filter(is_active=True).order_by("pk") if u.has_role(Role.ADMIN)), None)
        started = time.perf_counter()
        self.stdout.write("生成部门数据并比对 department datasets and a comparison run…")
        run = load_demo_comparison(year=settings.SUNSHINE_DEFAULT_YEAR, county_code=options["county"], actor=admin,
                                   seed=options["seed"])
        found = sum(run.counts.get("by_rule", {}).values())
        self.stdout.write(self.style.SUCCESS(
            f"{run} {run.get_status_display()}: {found} 条发现 ({time.perf_counter() - started:.1f} s)"))

        from sunshine.demo import scenario
        from sunshine.monitoring.runs import run_monitoring_for

        year, county6 = settings.SUNSHINE_DEFAULT_YEAR, options["county"]
        started = time.perf_counter()
        summary, village, eligible, monitored = scenario.prepare(year=year, county6=county6)
        # Cadres before monitoring: the warnings of paired households go to their cadre.
        from sunshine.demo.assistance import load_demo_assistance

        assistance = load_demo_assistance(year=year, county6=county6, seed=options["seed"])
        self.stdout.write(self.style.SUCCESS(f"{assistance};帮扶干部账号 cadre / {assistance.password}"))
        monitoring = run_monitoring_for(actor=admin, year=year, division_code=f"{county6}000000")
        self.stdout.write(self.style.SUCCESS(
            f"{monitoring}: {monitoring.counts.get('total', 0)} 条预警 ({time.perf_counter() - started:.1f} s)"))
        started = time.perf_counter()
        scenario.finish(summary, year=year, county6=county6, village=village, eligible=eligible,
                        monitored=monitored)
        self.stdout.write(self.style.SUCCESS(f"{summary} ({time.perf_counter() - started:.1f} s)"))
        self._funds(year=year, county6=county6, seed=options["seed"])

    def _funds(self, *, year: int, county6: str, seed: int) -> None:
        """The county's funds, project library and payments (with planted anomalies), and a funds check."""
        from sunshine.demo.funds import load_demo_funds
        from sunshine.demo.scenario import demo_user
        from sunshine.funds.check.services import run_check

        started = time.perf_counter()
        loaded = load_demo_funds(year=year, county6=county6, seed=seed)
        run, _ = run_check(actor=demo_user("county"), year=year, division_code=f"{county6}000000")
        self.stdout.write(self.style.SUCCESS(
            f"{loaded}; 资金项目核查 #{run.pk}: {run.message} ({time.perf_counter() - started:.1f} s)"))
