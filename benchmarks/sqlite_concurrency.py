"""Editors during a big import on SQLite: do their edits wait and succeed, get a clear 503, or fail with a 500?

    .venv/bin/python benchmarks/sqlite_concurrency.py                      # 100,000 households, 5 editors
    .venv/bin/python benchmarks/sqlite_concurrency.py --households 20000 --editors 5 --busy-timeout 20

1. A child process generates a synthetic county (sunshine.demo) and exports one year to .csv
   (benchmarks/import_registry.py --child prepare).
2. A fresh SQLite data directory: `sunshine init`, an administrator, and for each editor a county manager of
   another county with one household there and an API token.
3. `sunshine serve` (gunicorn, 2 workers × 4 threads) on 127.0.0.1; then `sunshine import registry` of the
   generated files in its own process while each editor, in its own thread, loops: PATCH its household over
   HTTP (a write), then GET the county's divisions (a token read that
   writes nothing), until the import has finished.
4. Prints, for writes and reads: successes, 503 (busy, asked to retry), 500 and other statuses, and the
   latency (p50, p95, max) — how long an editor waited.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUNSHINE = [sys.executable, "-m", "sunshine.cli"]
COUNTY = "320322"  # 沛县: the editors' county, apart from the imported one (320321)


def _setup_child(editors: int) -> None:
    """In the fresh data directory: an administrator, and per editor a county manager, a household, a token."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from sunshine.core.choices import DivisionLevel, Role
    from sunshine.core.models import ApiToken, Division
    from sunshine.testing import factories as f

    f.make_user("bench", Role.ADMIN, "320000000000", is_staff=True, is_superuser=True)
    county = Division.objects.get(code=f"{COUNTY}000000")
    town = Division.objects.create(code=f"{COUNTY}901000", name="基准镇", level=DivisionLevel.TOWNSHIP,
                                   parent=county, synthetic=True)
    village = Division.objects.create(code=f"{COUNTY}901001", name="基准村", level=DivisionLevel.VILLAGE,
                                      parent=town, synthetic=True)
    out = []
    for i in range(editors):
        user = f.make_user(f"editor{i}", Role.COUNTY_MANAGER, county.code)
        record = f.make_household(user, village=village.code, household_no=f"BENCH{i:03d}",
                                  head_id=f.new_id(region=COUNTY), members=1)
        _, raw = ApiToken.issue(user, name="bench")
        out.append({"token": raw, "household": record.household.household_no})
    print(json.dumps(out))


def _env(data_dir: Path, busy_timeout: float) -> dict[str, str]:
    env = {**os.environ, "SUNSHINE_DATA_DIR": str(data_dir), "SUNSHINE_SQLITE_BUSY_TIMEOUT": str(busy_timeout),
           "SUNSHINE_CLI_USER": "bench", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    return env


def _wait_up(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "login/", timeout=2).close()  # noqa: S310 - our own server
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.5)
    raise SystemExit("sunshine serve did not come up")


def _request(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={  # noqa: S310
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    clock = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=180) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0  # connection failed or timed out
    return status, time.perf_counter() - clock


def _editor(base: str, editor: dict, stop: threading.Event, log: list[tuple[str, int, float]]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        url = f"{base}api/households/{editor['household']}/2020"
        status, seconds = _request("PATCH", url, editor["token"], {"phone": f"1380000{n % 10000:04d}"})
        log.append(("write", status, seconds))
        # A read that writes nothing (a read of full personal data writes an access-log row: that waits
        # for the lock like any write, by design).
        status, seconds = _request("GET", f"{base}api/divisions?parent={COUNTY}000000", editor["token"])
        log.append(("read", status, seconds))
        time.sleep(0.5)


def _summary(kind: str, rows: list[tuple[str, int, float]]) -> str:
    mine = [r for r in rows if r[0] == kind]
    if not mine:
        return f"{kind}: none"
    counts = Counter(status for _, status, _ in mine)
    waits = sorted(seconds for _, _, seconds in mine)
    p95 = waits[min(len(waits) - 1, int(len(waits) * 0.95))]
    return (f"{kind:>5}: {len(mine):>5} requests · ok {counts.get(200, 0)} · 503 {counts.get(503, 0)} · "
            f"500 {counts.get(500, 0)} · other {sum(v for k, v in counts.items() if k not in (200, 500, 503))} · "
            f"wait p50 {statistics.median(waits):.2f} s, p95 {p95:.2f} s, max {waits[-1]:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--editors", type=int, default=5)
    parser.add_argument("--busy-timeout", type=float, default=20.0, help="SUNSHINE_SQLITE_BUSY_TIMEOUT (s)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--files", type=Path, help="use already generated csv files (households.csv, …)")
    parser.add_argument("--child", choices=("setup",), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "setup":
        _setup_child(args.editors)
        return 0

    work = Path(tempfile.mkdtemp(prefix="sunshine-concurrency-"))
    server = None
    try:
        files = args.files
        if files is None:
            started = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "import_registry.py"), "--child", "prepare",  # noqa: S603
                            "--households", str(args.households), "--no-xlsx", "--dir", str(work / "files")],
                           check=True, stdout=subprocess.DEVNULL)
            files = work / "files" / "csv"
            print(f"generated {args.households:,} households in {time.perf_counter() - started:.0f} s")
        data_dir = work / "data"
        env = _env(data_dir, args.busy_timeout)
        subprocess.run([*SUNSHINE, "init"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        setup = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "setup",  # noqa: S603
                                "--editors", str(args.editors)], env=env, check=True, capture_output=True, text=True)
        editors = json.loads(setup.stdout.strip().splitlines()[-1])
        server = subprocess.Popen([*SUNSHINE, "serve", "--port", str(args.port), "--no-task-worker"],  # noqa: S603
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{args.port}/"
        _wait_up(base)

        log: list[tuple[str, int, float]] = []
        stop = threading.Event()
        threads = [threading.Thread(target=_editor, args=(base, e, stop, log), daemon=True) for e in editors]
        for t in threads:
            t.start()
        time.sleep(2)  # a baseline before the import starts
        started = time.perf_counter()
        importer = subprocess.run([*SUNSHINE, "import", "registry", str(files / "households.csv"),  # noqa: S603
                                   str(files / "members.csv"), "--villages", str(files / "villages.csv"),
                                   "--year", "2020"], env=env, capture_output=True, text=True)
        import_seconds = time.perf_counter() - started
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join(timeout=200)
        print(f"import of {args.households:,} households: exit {importer.returncode}, {import_seconds:.0f} s; "
              f"{len(editors)} editors over HTTP, SQLite busy timeout {args.busy_timeout:g} s")
        if importer.returncode != 0:
            print(importer.stderr[-2000:])
        print(_summary("write", log))
        print(_summary("read", log))
        return 0 if not any(status == 500 for _, status, _ in log) else 1
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
