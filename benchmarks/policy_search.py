"""Benchmark of the policy library's full-text search (not a test).

    .venv/bin/python benchmarks/policy_search.py                          # 10,000 documents on SQLite
    DATABASE_URL=postgresql://postgres@127.0.0.1:54399/lib .venv/bin/python benchmarks/policy_search.py
    .venv/bin/python benchmarks/policy_search.py --docs 1000 --no-pg      # a quick look

Synthesises N documents of 5–50 KB (UTF-8) from the seed document's sentences, shuffled, with rare terms
injected into a few of them; for each database (SQLite always, PostgreSQL too when DATABASE_URL points at one:
a throw-away database next to it, dropped afterwards) a child process migrates a fresh database, stores the
documents, indexes them (segmentation + the database's index: FTS5 or tsvector/GIN) and prints the index time
and size, then runs a fixed set of queries (common words, rare words, several words, phrases, no hits, syntax
characters, with and without filters) through sunshine.library.search — the same call the pages make, snippets
included — and prints the latency p50/p95/max. Target: p95 < 100 ms.

It also measures the two segmenters on a sample of the documents (MB/s) and checks that they cut the sample and
every query identically (then both give the same search results)."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "sunshine" / "library" / "data" / "jiangsu_2018_poverty_implementation_opinions.txt"
TARGET_P95_MS = 100.0
# Words not in the seed, each put into about 0.3 % of the documents (rare), and one into 10 % (medium).
RARE = ["猕猴桃", "食用菌", "中药材", "冷链物流", "民宿", "茶叶", "蓝莓", "光伏板", "直播带货", "稻虾"]
MEDIUM = "以工代赈"
QUERIES = [
    # common words of the seed (in most documents)
    "扶贫", "脱贫", "低收入人口", "经济薄弱村", "产业", "就业", "教育", "医疗", "住房", "金融", "小额信贷",
    "小额 信贷", "扶贫小额信贷", "精准扶贫", "脱贫攻坚", "集体经济", "社会保障", "驻村工作队", "第一书记",
    "资金", "项目", "监督", "考核", "省委", "农村",
    # several words together
    "产业扶贫 龙头企业", "健康扶贫 大病保险", "危房改造 住房安全", "集体经济 收入 18万元", "低保 兜底 保障",
    "扶贫资金 监管 公开", "东西部 扶贫协作", "教育扶贫 义务教育 辍学", "就业 技能培训 转移",
    # rare and medium
    *RARE, MEDIUM, "猕猴桃 冷链物流", "民宿 茶叶",
    # no hits
    "量子计算机", "区块链", "航天发射", "人工智能芯片", "高铁 隧道",
    # syntax characters and long text
    '"', "NEAR", "*", "'", "AND OR NOT", "扶贫 AND 脱贫", "扶贫" * 200,
]
FILTERED = [("扶贫", {"level": "county"}), ("小额信贷", {"year": 2019}), ("产业", {"status": "repealed"}),
            ("脱贫攻坚", {"issuer": "财政"})]


def sentences() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    return [s.strip() + "。" for s in re.split(r"[。!?\n]", text) if len(s.strip()) >= 8]


def generate(count: int, seed: int, min_kb: int, max_kb: int):  # noqa: ANN201 - yields dicts
    """The documents, one dict at a time (deterministic for a seed)."""
    rng = random.Random(seed)
    pool = sentences()
    levels, issuers = ["national", "provincial", "city", "county"], ["江苏省人民政府", "江苏省财政厅", "某市扶贫办",
                                                                     "某县扶贫办", "国务院扶贫办"]
    for i in range(count):
        target = rng.randint(min_kb * 1024, max_kb * 1024)
        parts, size = [], 0
        while size < target:
            s = rng.choice(pool)
            parts.append(s)
            size += len(s.encode())
        if rng.random() < 0.003 * len(RARE):
            parts.insert(rng.randrange(len(parts)), f"发展{rng.choice(RARE)}产业。")
        if rng.random() < 0.10:
            parts.insert(rng.randrange(len(parts)), f"推行{MEDIUM}方式。")
        title = f"关于{rng.choice(pool)[:rng.randint(8, 20)].rstrip('。,、')}的通知(第{i + 1}号)"
        yield {"title": title, "body": "".join(parts), "level": rng.choice(levels), "issuer": rng.choice(issuers),
               "issued": f"{rng.randint(2014, 2021)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
               "status": "valid" if rng.random() < 0.85 else "repealed"}


def _setup(database_url: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    os.environ["SUNSHINE_DATA_DIR"] = tempfile.mkdtemp(prefix="sunshine-bench-policy-")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def child(args: argparse.Namespace) -> dict[str, object]:
    _setup(args.database_url)
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection, transaction

    from sunshine.library import search, segment
    from sunshine.library.backends import backend
    from sunshine.library.models import PolicyDocument

    segment.use(args.segmenter)
    test_db = connection.vendor != "sqlite"
    old_name = None
    if test_db:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"sunshine_bench_policy_{os.getpid()}"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0)
    try:
        def pages() -> int:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA page_count")
                count = cursor.fetchone()[0]
                cursor.execute("PRAGMA page_size")
                return count * cursor.fetchone()[0]

        before = pages() if not test_db else 0
        store_s = index_s = 0.0
        body_bytes = 0
        batch: list[dict] = []

        def flush() -> None:
            nonlocal store_s, index_s
            started = time.perf_counter()
            with transaction.atomic():
                docs = PolicyDocument.objects.bulk_create([
                    PolicyDocument(title=d["title"], body=d["body"], level=d["level"], issuer=d["issuer"],
                                   issued=dt.date.fromisoformat(d["issued"]), status=d["status"]) for d in batch])
            store_s += time.perf_counter() - started
            started = time.perf_counter()
            with transaction.atomic():
                search.index(docs)
            index_s += time.perf_counter() - started
            batch.clear()

        for i, d in enumerate(generate(args.docs, args.seed, args.min_kb, args.max_kb), 1):
            batch.append(d)
            body_bytes += len(d["body"].encode())
            if len(batch) == 200:
                flush()
            if i % 2000 == 0:
                print(f"  {connection.vendor}: {i} documents indexed", file=sys.stderr, flush=True)
        if batch:
            flush()
        started = time.perf_counter()
        backend().optimize()  # FTS5: merge the segments of the bulk load; PostgreSQL: ANALYZE
        index_s += time.perf_counter() - started
        if test_db:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE library_policydocument")
            size = backend().size_bytes()
            gin = backend().gin_bytes()  # type: ignore[union-attr]
        else:
            size = backend().size_bytes()
            if size < 0:
                size = pages() - before  # without dbstat: the growth of the file less the documents' own pages
            gin = 0
        # Warm once, then each query ``repeat`` times.
        timings: dict[str, list[float]] = {}
        totals: dict[str, int] = {}
        work = [(q, {}) for q in QUERIES] + FILTERED
        for q, f in work:
            search.search(q, search.Filters(**f))
        for _ in range(args.repeat):
            for q, f in work:
                started = time.perf_counter()
                r = search.search(q, search.Filters(**f), limit=20)
                timings.setdefault(f"{q[:20]}{f or ''}", []).append((time.perf_counter() - started) * 1000)
                totals[f"{q[:20]}{f or ''}"] = r.total
        return {"vendor": connection.vendor, "docs": args.docs, "body_mb": round(body_bytes / 2**20, 1),
                "store_s": round(store_s, 1), "index_s": round(index_s, 1), "index_mb": round(size / 2**20, 1),
                "gin_mb": round(gin / 2**20, 1), "timings": timings, "totals": totals}
    finally:
        if test_db and not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def segmenters(sample: int, seed: int) -> dict[str, object]:
    """Speed of jieba and rjieba on ``sample`` documents, and whether they cut them and the queries alike."""
    sys.path.insert(0, str(ROOT))
    from sunshine.library import segment

    docs = [d["body"] for d in generate(sample, seed, 5, 50)]
    mb = sum(len(b.encode()) for b in docs) / 2**20
    out: dict[str, object] = {"sample_docs": sample, "sample_mb": round(mb, 1)}
    cuts = {}
    for name in ("rjieba", "jieba"):
        started = time.perf_counter()
        segment.use(name)
        out[f"{name}_load_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        tokens = [segment.tokens(b) for b in docs]
        seconds = time.perf_counter() - started
        out[f"{name}_mb_s"] = round(mb / seconds, 2)
        cuts[name] = (tokens, [segment.query_terms(q) for q in QUERIES])
    out["same_tokens"] = cuts["rjieba"][0] == cuts["jieba"][0]
    out["same_query_terms"] = cuts["rjieba"][1] == cuts["jieba"][1]
    segment.use(segment.DEFAULT)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--min-kb", type=int, default=5)
    parser.add_argument("--max-kb", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="times each query is measured (after one warm-up)")
    parser.add_argument("--segmenter", choices=["rjieba", "jieba"], default="rjieba")
    parser.add_argument("--sample", type=int, default=200, help="documents for the jieba/rjieba comparison")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only, even when DATABASE_URL is PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-segmenters", action="store_true", help="skip the jieba/rjieba comparison")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (sunshine_bench_policy_PID)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args), ensure_ascii=False))
        return 0
    seg = {} if args.no_segmenters else segmenters(args.sample, args.seed)
    print("" if not seg else f"segmentation ({seg['sample_docs']} documents, {seg['sample_mb']} MB): "
          f"rjieba {seg['rjieba_mb_s']} MB/s (load {seg['rjieba_load_s']} s), "
          f"jieba {seg['jieba_mb_s']} MB/s (load {seg['jieba_load_s']} s); "
          f"same tokens: {seg['same_tokens']}, same query terms: {seg['same_query_terms']}", flush=True)
    url = os.environ.get("DATABASE_URL", "")
    databases: list[str | None] = [] if args.no_sqlite else [None]
    if url.startswith("postgres") and not args.no_pg:
        databases.append(url)
    failures = []
    for database in databases:
        cmd = [sys.executable, __file__, "--child", "--docs", str(args.docs), "--min-kb", str(args.min_kb),
               "--max-kb", str(args.max_kb), "--seed", str(args.seed), "--repeat", str(args.repeat),
               "--segmenter", args.segmenter, *(["--keep"] if args.keep else [])]
        if database:
            cmd += ["--database-url", database]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603 - our own script
        if done.returncode != 0:
            failures.append(f"the {'PostgreSQL' if database else 'SQLite'} run failed (exit {done.returncode})")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        all_ms = [ms for values in r["timings"].values() for ms in values]
        p50, p95, worst = statistics.median(all_ms), _pct(all_ms, 95), max(all_ms)
        slowest = sorted(r["timings"].items(), key=lambda kv: -max(kv[1]))[:5]
        print(f"\n== {r['vendor']}: {r['docs']:,} documents, {r['body_mb']} MB of text")
        print(f"store {r['store_s']} s, index {r['index_s']} s (segmentation + index writes), "
              f"index size {r['index_mb']} MB" + (f" (GIN index {r['gin_mb']} MB)" if r["gin_mb"] else ""))
        print(f"queries: {len(r['timings'])} × {args.repeat}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms")
        print("slowest: " + "; ".join(f"{q} {max(v):.0f} ms ({r['totals'][q]} hits)" for q, v in slowest))
        if p95 >= TARGET_P95_MS:
            failures.append(f"{r['vendor']}: p95 {p95:.1f} ms ≥ {TARGET_P95_MS:.0f} ms")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
