"""Public portal benchmark (not a test): 50 concurrent anonymous readers on the demo region's public pages, with
the public-page cache ON (SUNSHINE_PUBLIC_CACHE_SECONDS=60) and OFF (0, the naive baseline), in one run.

Steps: generate the demo region (``sunshine demo --households N --no-serve``) into a temporary data dir (or use
``--data-dir`` with one already generated); make some project announcements current (the demo's are dated in
its year, 2020) so that pages show "now"; list the public pages — the landing page, the county, its townships and
villages, each village's notice page, every announcement, every dividend list, the policy library, the notice and
project lists — keeping those that answer 200; then, for each cache setting, start the real server
(``sunshine serve``, gunicorn, on a free loopback port), warm it up, and run 50 reader threads for ``--duration``
seconds twice: with a short think time between pages and with none (a closed loop: the site's capacity). Prints
requests, p50/p95/p99/max latency in ms, req/s and errors for each of the four runs. Target: p95 < 100 ms with
the cache on.

    .venv/bin/python benchmarks/public_portal.py                     # ~3 minutes
    .venv/bin/python benchmarks/public_portal.py --households 2000 --duration 10

Only the standard library drives the load (urllib in threads); the server is stopped at the end."""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SUNSHINE = Path(sys.executable).with_name("sunshine")
TIMEOUT = 30.0


def generate(data_dir: Path, households: int) -> None:
    started = time.perf_counter()
    subprocess.run([str(SUNSHINE), "demo", "--households", str(households), "--no-serve"],  # noqa: S603
                   env={**os.environ, "SUNSHINE_DATA_DIR": str(data_dir)}, check=True, cwd=HERE,
                   stdout=subprocess.DEVNULL)
    print(f"demo region: {households} households generated in {time.perf_counter() - started:.1f} s")


def prepare(data_dir: Path) -> list[str]:
    """Make some announcements current and list the public pages (run in a child: Django set up there)."""
    out = subprocess.run([sys.executable, __file__, "--list-pages"], check=True, cwd=HERE,  # noqa: S603
                         env={**os.environ, "SUNSHINE_DATA_DIR": str(data_dir)}, capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.startswith("/public/")]


def list_pages() -> None:
    """(In the child.) Every other announcement moved to run from two days ago for ten days; print the pages."""
    import datetime as dt

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.config.settings")
    django.setup()
    from django.db.models import Q
    from django.utils import timezone

    from sunshine.core.models import Division
    from sunshine.funds.models import Announcement
    from sunshine.funds.models_credit import AssetIncome
    from sunshine.workflow.public import in_notice

    on = timezone.localdate()
    for a in Announcement.objects.order_by("pk")[::2]:
        Announcement.objects.filter(pk=a.pk).update(start_date=on - dt.timedelta(days=2),
                                                    end_date=on + dt.timedelta(days=7))
    pages = ["/public/", "/public/notices/", "/public/projects/", "/public/policies/"]
    divisions = Division.objects.filter(synthetic=True, level__in=("township", "village")).order_by("code")
    counties = {d.code[:6] + "000000" for d in divisions}
    pages += [f"/public/divisions/{c}/" for c in sorted(counties)]
    pages += [f"/public/divisions/{d.code}/" for d in divisions]
    pages += [f"/public/notices/{code}/" for code in sorted(set(in_notice().values_list("division_id", flat=True)))]
    pages += [f"/public/projects/announcements/{pk}/" for pk in Announcement.objects.values_list("pk", flat=True)]
    pages += [f"/public/projects/{c}/" for c in sorted(counties)]
    for village in divisions.filter(level="village"):
        years = AssetIncome.objects.filter(Q(asset__division=village) | Q(asset__villages=village),
                                           year__lte=on.year).values_list("year", flat=True).distinct()
        pages += [f"/public/dividends/{village.code}/{y}/" for y in sorted(set(years))]
    from sunshine.library.models import PolicyDocument

    pages += [f"/public/policies/{pk}/" for pk in PolicyDocument.objects.values_list("pk", flat=True)[:20]]
    print("\n".join(pages))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, cache_seconds: int, workers: int | None,
                 threads: int | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [str(SUNSHINE), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-task-worker"]
    cmd += ["--workers", str(workers)] if workers else []
    cmd += ["--threads", str(threads)] if threads else []
    env = {**os.environ, "SUNSHINE_DATA_DIR": str(data_dir), "SUNSHINE_PUBLIC_CACHE_SECONDS": str(cache_seconds)}
    proc = subprocess.Popen(cmd, env=env, cwd=HERE, stdout=subprocess.DEVNULL,  # noqa: S603
                            stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(base + "/public/", timeout=5).close()  # noqa: S310 - loopback only
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("sunshine serve exited during start-up") from None
            time.sleep(0.5)
    stop_server(proc)
    raise SystemExit("sunshine serve did not answer within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)  # our own session: the gunicorn master and its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - loopback only
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


class Reader:
    """One reader's keep-alive connection (as a browser keeps one): the load generator then spends its CPU on
    requests, not on TCP handshakes, on a machine it shares with the server."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> int:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                response.read()
                if response.will_close:
                    self.close()
                return int(response.status)
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt:
                    return 0
        return 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def readers(base: str, pages: list[str], n: int, duration: float, think: tuple[float, float]) -> dict:
    """n threads, each reading random pages until the deadline; latencies of the requests they made."""
    times: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def loop(seed: int) -> None:
        rnd = random.Random(seed)  # noqa: S311 - load generation
        reader = Reader(base)
        time.sleep(rnd.uniform(0, max(think[1], 0.05)))   # readers do not all start in the same instant
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = reader.get(rnd.choice(pages))
            took = time.perf_counter() - started
            with lock:
                times.append(took)
                statuses[status] += 1
            if think[1] > 0:
                time.sleep(rnd.uniform(*think))
        reader.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + TIMEOUT + 5)
    return {"times": times, "statuses": statuses, "elapsed": time.perf_counter() - started}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0.0


def line(label: str, result: dict) -> str:
    t = result["times"]
    errors = {k: v for k, v in result["statuses"].items() if k != 200}
    return (f"{label:<28} requests {len(t):>6}  p50 {pct(t, 50):7.1f}  p95 {pct(t, 95):7.1f}  "
            f"p99 {pct(t, 99):7.1f}  max {max(t, default=0) * 1000:7.1f} ms  "
            f"{len(t) / result['elapsed']:7.1f} req/s  errors {errors or 0}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--data-dir", help="a data dir with a demo region already generated (kept)")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (four runs)")
    parser.add_argument("--think", default="0.2-1.0", help="seconds a reader reads a page, low-high")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: serve's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: serve's)")
    parser.add_argument("--list-pages", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.list_pages:
        list_pages()
        return
    low, high = (float(x) for x in args.think.split("-"))
    temp = None if args.data_dir else Path(tempfile.mkdtemp(prefix="sunshine-portal-bench-"))
    data_dir = Path(args.data_dir) if args.data_dir else temp
    assert data_dir is not None  # noqa: S101 - one of the two
    try:
        if temp is not None:
            generate(data_dir, args.households)
        pages = prepare(data_dir)
        results = []
        for seconds, label in ((60, "cache ON (60 s)"), (0, "cache OFF")):
            proc, base = start_server(data_dir, seconds, args.workers, args.threads)
            try:
                ok = [p for p in pages if fetch(base + p) == 200]   # also warms the cache of one worker
                readers(base, ok, args.readers, 3.0, (0.0, 0.0))     # warm-up of every worker, not counted
                results.append(line(f"{label}, think {args.think}s",
                                    readers(base, ok, args.readers, args.duration, (low, high))))
                results.append(line(f"{label}, no think",
                                    readers(base, ok, args.readers, args.duration, (0.0, 0.0))))
            finally:
                stop_server(proc)
        print(f"{len(ok)} public pages (of {len(pages)} listed) answering 200; {args.readers} readers, "
              f"{args.duration:.0f} s per run; workers {args.workers or 'default'}, "
              f"threads {args.threads or 'default'}; {os.cpu_count()} CPU cores")
        for r in results:
            print(r)
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
