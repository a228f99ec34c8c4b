"""Load benchmark (not a test): many logged-in users browsing and editing a running Sunshine site.

Each virtual user logs in via /login/ (with the CSRF token), then loops over a realistic mix of pages —
home, household lists with filters, household detail, findings list + detail, warnings list + detail, the case
inbox + case detail — and one edit in twenty (a clerk re-submits a household's edit form with a new phone
number). Like a person (and like locust's usual ``wait_time = between(1, 5)``), a user reads each page for a
random think time before the next click (``--think 1-5``, the default); ``--think 0`` clicks again at once, a
closed loop that measures the site's capacity rather than its response to N people. Users log in one after
another over ``--ramp`` seconds (a spawn rate, as locust's); once all are logged in, each starts browsing after
a random part of one think time, and the ``--duration`` seconds from then on are measured (the logins' own
figures are printed on one line: a password hash is slow by design). It prints the think time, concurrency,
requests/s, p50/p95/p99 per page kind and overall, errors by status and the slowest requests.

Only the standard library is used (urllib in a thread pool driven by asyncio), so nothing is added to the
environment. Loopback addresses only; the run stops by itself after --duration seconds.

Run against a demo database (e.g. PostgreSQL)::

    DATABASE_URL=postgres://…@127.0.0.1:54332/sunshine SUNSHINE_DATA_DIR=/tmp/h11 \\
        .venv/bin/sunshine demo --no-serve                # prints the demo users and passwords
    .venv/bin/python benchmarks/load.py --serve --users 100 --duration 120 --think 1-5 \\
        --login clerk:PASSWORD --login township:PASSWORD --login county:PASSWORD …

``--serve`` starts ``sunshine serve`` (gunicorn) on a free loopback port with the current environment and
stops it at the end (``--workers``/``--threads`` override serve's SUNSHINE_WEB_WORKERS/SUNSHINE_WEB_THREADS);
otherwise give ``--url http://127.0.0.1:8000``. Users are spread over the given logins.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
HREF = re.compile(r'href="(/[^"#?]*/)(?:\?[^"#]*)?"')
TIMEOUT = 60.0


@dataclass(frozen=True)
class Think:
    """Seconds a user reads a page before the next click: uniform between low and high (0-0: none)."""

    low: float
    high: float

    @classmethod
    def parse(cls, text: str) -> Think:
        low, _, high = text.partition("-")
        think = cls(float(low), float(high or low))
        if not 0 <= think.low <= think.high <= 600:
            raise ValueError(text)
        return think

    def __str__(self) -> str:
        return "0 (closed loop)" if self.high == 0 else f"{self.low:g}-{self.high:g} s"


@dataclass
class Results:
    steady_from: float = float("inf")  # when every user is logged in: requests before it are reported apart
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ramp_times: list[float] = field(default_factory=list)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def record(self, kind: str, path: str, seconds: float, status: int, started: float) -> None:
        if started < self.steady_from:
            self.ramp_times.append(seconds)  # the logins (GET and POST) before the measured run
            if status >= 400 or status == 0:  # errors count wherever they happen
                self.statuses[(kind, status)] += 1
            return
        self.times[kind].append(seconds)
        self.statuses[(kind, status)] += 1
        self.slowest.append((seconds, path))
        if len(self.slowest) > 400 and kind != "login":  # keep the list short: only the slowest matter
            self.slowest = sorted(self.slowest, reverse=True)[:40]


class FormFields(HTMLParser):
    """The name/value pairs a browser would submit for the first POST form of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = self._done = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form or not a.get("name") and tag != "option":
            return
        if tag == "input" and a.get("type") not in {"submit", "button", "file", "checkbox", "radio"}:
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") in {"checkbox", "radio"} and "checked" in a:
            self.fields[a["name"]] = a.get("value", "on")
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and ("selected" in a or not self.fields[self._select]):
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


class Browser:
    """One user's session: cookies, CSRF token, and timing of every request into the shared results."""

    def __init__(self, base: str, results: Results, think: Think, rnd: random.Random, deadline: float) -> None:
        self.base = base
        self.results = results
        self.think, self.rnd, self.deadline = think, rnd, deadline
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, kind: str, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - base checked to be loopback
        if body is not None:
            req.add_header("Referer", self.base + path)
            req.add_header("X-CSRFToken", self.csrf())
        started = time.monotonic()
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=TIMEOUT) as resp:
                text = resp.read().decode("utf-8", "replace")
                status = resp.status
        except urllib.error.HTTPError as exc:
            text, status = exc.read().decode("utf-8", "replace"), exc.code
        except (OSError, TimeoutError, ValueError):
            text, status = "", 0  # connection refused/reset or timed out
        self.results.record(kind, path.split("?")[0], time.perf_counter() - start, status, started)
        self.pause()
        return status, text

    def pause(self) -> None:
        """The user reads the page before the next click (never past the end of the run)."""
        if self.think.high > 0:
            seconds = self.rnd.uniform(self.think.low, self.think.high)
            time.sleep(max(0.0, min(seconds, self.deadline - time.monotonic())))

    def login(self, username: str, password: str) -> bool:
        self.request("login", "/login/")
        status, text = self.request("login", "/login/", {
            "csrfmiddlewaretoken": self.csrf(), "username": username, "password": password})
        return status == 200 and 'name="password"' not in text


def links(text: str, prefix: str, pattern: str = r"[^/]+") -> list[str]:
    rx = re.compile(re.escape(prefix) + pattern + "/$")
    return [h for h in HREF.findall(text) if rx.match(h)]


@dataclass
class Plan:
    think: Think
    duration: float          # seconds measured once every user is logged in
    barrier: threading.Barrier  # every user waits here after logging in; the measured run starts after it
    results: Results
    deadline: float = float("inf")  # monotonic time the run ends (set when the barrier opens)

    def start(self) -> None:
        """Called once, when the last user has logged in."""
        self.results.steady_from = time.monotonic()
        self.deadline = self.results.steady_from + self.duration


def user_loop(base: str, username: str, password: str, plan: Plan, start_after: float, seed: int) -> None:
    """Log in, wait for the others, then browse until the deadline; one step in twenty is an edit (for a
    clerk)."""
    rnd = random.Random(seed)  # noqa: S311 - load mix, not security
    results = plan.results
    time.sleep(start_after)
    b = Browser(base, results, Think(0, 0), rnd, float("inf"))  # no reading time while logging in
    logged_in = b.login(username, password)
    if not logged_in:
        results.record("login-failed", "/login/", 0.0, 401, time.monotonic())
    try:
        plan.barrier.wait()
    except threading.BrokenBarrierError:
        return
    if not logged_in:
        return
    b.think, b.deadline = plan.think, plan.deadline
    time.sleep(rnd.uniform(0, plan.think.high))  # people do not all click at the same moment
    households: list[str] = []
    findings: list[str] = []
    warnings: list[str] = []
    cases: list[str] = []
    deadline = plan.deadline
    while time.monotonic() < deadline:
        step = rnd.random()
        if step < 0.05 and username.startswith("clerk") and households:
            edit_household(b, rnd.choice(households), rnd)
        elif step < 0.15:
            b.request("home", "/")
        elif step < 0.40:
            name = urllib.parse.quote(rnd.choice("王李张刘陈"))
            query = rnd.choice(["", "?status=poor", "?status=exited", "?q=" + name,
                                f"?page={rnd.randint(1, 20)}", "?household_type=general"])
            status, text = b.request("household-list", "/households/" + query)
            if status == 200:
                households = links(text, "/households/", r"(?!new)[^/]+")[:50] or households
        elif step < 0.60 and households:
            b.request("household-detail", rnd.choice(households))
        elif step < 0.70:
            status, text = b.request("finding-list", "/comparison/findings/" + rnd.choice(["", "?page=2"]))
            if status == 200:
                findings = links(text, "/comparison/findings/", r"\d+") or findings
        elif step < 0.78 and findings:
            b.request("finding-detail", rnd.choice(findings))
        elif step < 0.86:
            status, text = b.request("warning-list", "/monitoring/" + rnd.choice(["", "?page=2"]))
            if status == 200:
                warnings = links(text, "/monitoring/warnings/", r"\d+") or warnings
        elif step < 0.93 and warnings:
            b.request("warning-detail", rnd.choice(warnings))
        elif step < 0.97 or not cases:
            status, text = b.request("case-inbox", "/cases/")
            if status == 200:
                cases = links(text, "/cases/", r"\d+") or cases
        else:
            b.request("case-detail", rnd.choice(cases))


def edit_household(b: Browser, detail: str, rnd: random.Random) -> None:
    """Open the household's current-year edit form and submit it with a new phone number."""
    status, text = b.request("household-detail", detail)
    edit = re.search(r'href="(/households/[^"]+/\d{4}/edit/)"', text) if status == 200 else None
    if not edit:
        return
    status, text = b.request("edit-form", edit.group(1))
    if status != 200:
        return
    parser = FormFields()
    parser.feed(text)
    form = parser.fields
    if "phone" in form:
        form["phone"] = "139" + "".join(rnd.choice("0123456789") for _ in range(8))
    b.request("edit-submit", edit.group(1), form)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workers: int | None, threads: int | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("sunshine")), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--no-task-worker"]
    if workers:
        cmd += ["--workers", str(workers)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # noqa: S603
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "/login/", timeout=2).close()  # noqa: S310 - loopback only
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("sunshine serve exited during start-up") from None
            time.sleep(0.5)
    stop_server(proc)
    raise SystemExit("sunshine serve did not answer within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)  # our own session: gunicorn master and its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def report(results: Results, elapsed: float, setup: str) -> None:
    every = [t for kind, ts in results.times.items() if kind != "login" for t in ts]
    print(f"\n{setup}")
    if results.ramp_times:
        r = results.ramp_times
        print(f"logging in (not in the table): {len(r)} requests, p50 {pct(r, 50):.0f} ms, "
              f"p95 {pct(r, 95):.0f} ms")
    print(f"steady state: {len(every)} requests in {elapsed:.1f} s: {len(every) / elapsed:.1f} req/s "
          "(logins excluded)")
    print(f"{'kind':<18}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for kind, ts in sorted(results.times.items()):
        print(f"{kind:<18}{len(ts):>7}{pct(ts, 50):>9.0f}{pct(ts, 95):>9.0f}{pct(ts, 99):>9.0f}"
              f"{statistics.fmean(ts) * 1000:>9.0f}")
    if every:
        print(f"{'overall':<18}{len(every):>7}{pct(every, 50):>9.0f}{pct(every, 95):>9.0f}{pct(every, 99):>9.0f}"
              f"{statistics.fmean(every) * 1000:>9.0f}")
    errors = {k: n for k, n in results.statuses.items() if k[1] >= 400 or k[1] == 0}
    print("errors by status:", ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(errors.items()))
          or "none")
    print("slowest requests:")
    pages = [(s, p) for s, p in results.slowest if p != "/login/"]
    for seconds, path in sorted(pages, reverse=True)[:10]:
        print(f"  {seconds * 1000:8.0f} ms  {path}")


async def run(base: str, logins: list[tuple[str, str]], users: int, duration: float, think: Think,
              ramp: float) -> Results:
    results = Results()
    plan = Plan(think, duration, threading.Barrier(users), results)
    plan.barrier = threading.Barrier(users, action=plan.start)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=users) as pool:
        jobs = [loop.run_in_executor(pool, user_loop, base, *logins[i % len(logins)], plan, ramp * i / users, i)
                for i in range(users)]
        await asyncio.gather(*jobs)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="base URL of a running site (loopback only)")
    parser.add_argument("--serve", action="store_true", help="start and stop `sunshine serve` itself")
    parser.add_argument("--workers", type=int, help="gunicorn workers for --serve (default: serve's)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker for --serve (default: serve's)")
    parser.add_argument("--users", type=int, default=100, help="concurrent logged-in users")
    parser.add_argument("--duration", type=float, default=120.0,
                        help="seconds measured once every user is logged in")
    parser.add_argument("--think", default="1-5", metavar="MIN-MAX",
                        help="seconds a user reads a page before the next click (default 1-5; 0: closed loop)")
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="seconds over which the users log in one after another (default 10)")
    parser.add_argument("--login", action="append", required=True, metavar="USER:PASSWORD",
                        help="a demo login (repeat; users are spread over them)")
    args = parser.parse_args()
    logins = [tuple(x.split(":", 1)) for x in args.login]
    if args.users < 1 or not 0 < args.duration <= 3600 or not 0 <= args.ramp <= 600:
        parser.error("--users ≥ 1, 0 < --duration ≤ 3600 and 0 ≤ --ramp ≤ 600")
    try:
        think = Think.parse(args.think)
    except ValueError:
        parser.error("--think MIN-MAX seconds, e.g. 1-5, or 0")
    proc = None
    if args.serve:
        proc, base = start_server(args.workers, args.threads)
    elif args.url:
        base = args.url.rstrip("/")
        if urllib.parse.urlsplit(base).hostname not in {h.strip("[]") for h in LOOPBACK}:
            parser.error("only loopback addresses")
    else:
        parser.error("give --url or --serve")
    try:
        setup = (f"{args.users} concurrent users ({', '.join(sorted({u for u, _ in logins}))}), think time {think}, "
                 f"logins spread over {args.ramp:g} s, then {args.duration:g} s measured")
        if args.serve:
            setup += f"; sunshine serve --workers {args.workers or 'default'} --threads {args.threads or 'default'}"
        print(setup, flush=True)
        results = asyncio.run(run(base, logins, args.users, args.duration, think, args.ramp))  # type: ignore[arg-type]
        elapsed = max(0.001, min(args.duration, time.monotonic() - results.steady_from))
        report(results, elapsed, setup)
    finally:
        if proc is not None:
            stop_server(proc)


if __name__ == "__main__":
    main()
