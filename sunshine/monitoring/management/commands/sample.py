"""`sunshine sample draw --year Y [--division CODE] (--size N | --rate R) [--seed S] [--kind fixed|adhoc] [--user U]`
`sunshine sample continue PANEL_ID --year Y [--seed S] [--user U]`
`sunshine sample estimate ID [--out FILE.json] [--user U]`

Stratified random samples of registered households for verification visits (固定抽样与临时抽样), carrying a
fixed panel into a later year, and the estimates with 95 % intervals from the visits recorded so far."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from sunshine.monitoring.choices import SampleKind
from sunshine.monitoring.sampling import selectors
from sunshine.monitoring.sampling.draw import continue_panel, draw_sample
from sunshine.monitoring.sampling.report import estimate
from sunshine.registry.management.commands._common import acting_user


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _share_line(label: str, share: dict[str, Any]) -> str:
    if share["estimate"] is None:
        return f"{label}: 尚无走访结果"
    return (f"{label}: {_pct(share['estimate'])},95%置信区间 [{_pct(share['low'])}, {_pct(share['high'])}]"
            f"(已走访 {share['visited']} 户,发现 {share['hits']} 户)")


class Command(BaseCommand):
    help = "抽样核查:分层随机抽取在册农户(固定抽样/临时抽样),沿用固定样本,按走访结果估计信息错误率和错退率。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        draw = sub.add_parser("draw", help="抽取样本")
        draw.add_argument("--year", type=int, required=True)
        draw.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
        group = draw.add_mutually_exclusive_group(required=True)
        group.add_argument("--size", type=int, help="样本量(户)")
        group.add_argument("--rate", type=float, help="抽样比例,例如 0.05")
        draw.add_argument("--seed", type=int, help="随机种子;不给时随机生成并记录")
        draw.add_argument("--kind", choices=SampleKind.values, default=SampleKind.ADHOC)
        draw.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")
        cont = sub.add_parser("continue", help="把固定样本沿用到以后年度")
        cont.add_argument("panel", type=int, help="固定样本的抽样批次号")
        cont.add_argument("--year", type=int, required=True)
        cont.add_argument("--seed", type=int, help="补抽替换户用的随机种子,默认沿用原样本的")
        cont.add_argument("--user")
        est = sub.add_parser("estimate", help="按走访结果估计")
        est.add_argument("id", type=int, help="抽样批次号")
        est.add_argument("--out", type=Path, help="输出 JSON 文件")
        est.add_argument("--user")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["user"])
        action = options["action"]
        try:
            if action == "draw":
                draw = draw_sample(actor=actor, kind=options["kind"], year=options["year"],
                                   division_code=options["division"], size=options["size"], rate=options["rate"],
                                   seed=options["seed"])
            elif action == "continue":
                panel = self._draw(actor, options["panel"])
                draw = continue_panel(actor=actor, panel=panel, year=options["year"], seed=options["seed"])
            else:
                self._estimate(actor, options["id"], options["out"])
                return
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])) from exc
        strata = ",".join(f"{k} {v['sample']}/{v['population']}" for k, v in sorted(draw.strata.items()))
        self.stdout.write(self.style.SUCCESS(
            f"抽样批次 #{draw.pk}: {draw.year}年度{draw.get_kind_display()} {draw.division.name},"
            f"样本 {draw.size} 户,随机种子 {draw.seed};各层 样本/在册: {strata}"))

    def _draw(self, actor: Any, draw_id: int) -> Any:
        try:
            return selectors.get_draw(actor, draw_id)
        except Http404 as exc:  # the same answer whether it does not exist or is out of scope
            raise CommandError(f"抽样批次不存在或不在您的管辖范围内: {draw_id}") from exc

    def _estimate(self, actor: Any, draw_id: int, out: Path | None) -> None:
        draw = self._draw(actor, draw_id)
        if not selectors.draw_covers_reader(actor, draw):
            raise CommandError("抽样范围大于您的管辖区划,不能查看估计结果")
        result = estimate(draw)
        if out is not None:
            if out.suffix.lower() != ".json":
                raise CommandError(f"输出文件应为 .json: {out}")
            out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(
            f"抽样批次 #{draw.pk}: 已走访 {result['visited']}/{result['sampled']} 户;"
            f"{_share_line('信息错误率', result['data_wrong'])};"
            f"{_share_line('错退率', result['wrongly_exited'])}{f';已写入 {out}' if out else ''}"))
