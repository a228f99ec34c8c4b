"""Benchmark of the benefits statements PDF (明白册, services.md §2): one village of 500 households printed as one
PDF, target under 60 s.

    .venv/bin/python benchmarks/statements_pdf.py                      # 500 households, 2 layout processes
    .venv/bin/python benchmarks/statements_pdf.py --households 100 --workers 1 --sample 10

A fresh SQLite database in a temporary data directory is migrated and filled with the test region and one
village of --households households (3–5 members each; each with 2–12 payments of 2020 — a few with 40, which
flow to a second page —, a loan for one in three, an asset whose income is shared among them all), made with
bulk inserts. Then, timed: `sunshine statements print --village … --year 2020` (the data of the whole village in
a fixed number of queries, the query codes made in bulk, the layout in batches of 50 in --workers processes, the
parts merged). Printed: seconds, households, pages, MB, peak memory (this process and the layout processes),
and the per-household time of the naive way (one WeasyPrint document and PDF per household) on --sample
households in the same process, with its extrapolation to the village. The machine may be shared: the load
average is printed."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sunshine.config.settings"
    os.environ["SUNSHINE_DATA_DIR"] = tempfile.mkdtemp(prefix="sunshine-bench-statements-")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(households: int, seed: int = 7) -> str:
    """One village of ``households`` households with benefits of 2020; returns its code."""
    from sunshine.core.choices import Role
    from sunshine.core.ids import make_id_number
    from sunshine.funds.models import Payment
    from sunshine.funds.models_credit import Loan
    from sunshine.funds.tests.credit_factories import make_asset
    from sunshine.registry import choices as c
    from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person
    from sunshine.testing import factories as f

    rng = random.Random(seed)
    f.build_region()
    f.make_user("bench_admin", Role.ADMIN, "320000000000")
    village, county = f.VILLAGE_A, f.COUNTY
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "明华建国玉兰秀英志强丽娟海燕春梅小红德胜"
    homes = Household.objects.bulk_create([Household(household_no=f"B{village[-6:]}{i:05d}", village_id=village)
                                           for i in range(households)])
    seq = iter(range(1, 10_000_000))
    records, people, relations = [], [], []
    for home in homes:
        n = rng.randint(3, 5)
        names = [rng.choice(surnames) + "".join(rng.choices(given, k=2)) for _ in range(n)]
        ids = [make_id_number("320321", dt.date(rng.randint(1950, 2012), rng.randint(1, 12), rng.randint(1, 28)),
                              next(seq)) for _ in range(n)]
        records.append(HouseholdYear(household=home, year=2020, head_name=names[0], head_id_number=ids[0],
                                     phone="13800001234", status=c.HouseholdStatus.IN_POVERTY,
                                     identified_year=2016))
        people.append(list(zip(names, ids, strict=True)))
    records = HouseholdYear.objects.bulk_create(records, batch_size=500)
    persons = Person.objects.bulk_create([Person(name=name, id_number=number) for group in people
                                          for name, number in group], batch_size=1000)
    it = iter(persons)
    for record, group in zip(records, people, strict=True):
        for k in range(len(group)):
            relations.append(MemberYear(household_year=record, person=next(it), year=2020,
                                        relation=c.Relation.HEAD if k == 0 else c.Relation.CHILD))
    MemberYear.objects.bulk_create(relations, batch_size=1000)
    payments, loans = [], []
    items = ["education_aid", "industry_award", "employment_subsidy", "public_job", "medical_premium"]
    for i, (home, record) in enumerate(zip(homes, records, strict=True)):
        count = 40 if i % 100 == 0 else rng.randint(2, 12)
        for k in range(count):
            item = rng.choice(items)
            payments.append(Payment(county_id=county, payment_no=f"BF{i:05d}{k:03d}", id_number=record.head_id_number,
                                    name=record.head_name, household=home, household_no=home.household_no,
                                    item=item, period="2020", amount=Decimal(rng.choice([280, 800, 2000, 3000])),
                                    paid_date=dt.date(2020, rng.randint(1, 12), rng.randint(1, 28))))
        if i % 3 == 0:
            loans.append(Loan(county_id=county, loan_no=f"BD{i:05d}", household=home, household_no=home.household_no,
                              id_number=record.head_id_number, name=record.head_name, bank="县农商行",
                              loan_date=dt.date(2019, rng.randint(1, 12), 1), due_date=dt.date(2022, 6, 30),
                              amount=Decimal(50000), annual_rate=Decimal("0.0435"), guarantee="none"))
    Payment.objects.bulk_create(payments, batch_size=1000)
    Loan.objects.bulk_create(loans, batch_size=1000)
    make_asset(division=village, villages=(village,), income={2020: str(households * 300)})
    return village


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the layout processes): unlike the wall time, it
    does not grow when other work shares the machine."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=20, help="households printed the naive way")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cores: {os.cpu_count()}")
    setup()
    started = time.perf_counter()
    village = build(args.households)
    print(f"data: {args.households} households in {time.perf_counter() - started:.1f} s")

    from django.core.management import call_command
    from pypdf import PdfReader

    from sunshine.core.models import Division
    from sunshine.disclosure.statements import pdf
    from sunshine.disclosure.statements.data import build_statements

    out = Path(tempfile.mkdtemp()) / "village.pdf"
    stdout = io.StringIO()
    started, cpu = time.perf_counter(), cpu_seconds()
    call_command("statements", "print", "--village", village, "--year", "2020", "--out", str(out),
                 "--workers", str(args.workers), "--user", "bench_admin", stdout=stdout)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    pages = len(PdfReader(out).pages)
    print(stdout.getvalue().strip())
    each = seconds / args.households * 1000
    print(f"village PDF: {seconds:.1f} s for {args.households} households ({each:.0f} ms each), {pages} pages, "
          f"{out.stat().st_size / 1e6:.1f} MB; peak memory {peak_mb(resource.RUSAGE_SELF):.0f} MB "
          f"(layout processes {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB); target < 60 s: "
          f"{'OK' if seconds < 60 else 'MISSED'}")
    print(f"CPU time of the print: {cpu:.1f} s (over {args.workers} layout processes: ≈ {cpu / args.workers:.0f} s of "
          f"wall time on {args.workers} free cores); load average now "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    division = Division.objects.get(code=village)
    started = time.perf_counter()
    statements = build_statements(division, 2020)
    data_seconds = time.perf_counter() - started
    started = time.process_time()
    pdf.render(statements[:args.sample], workers=1)
    batched = (time.process_time() - started) / args.sample
    started = time.process_time()
    pdf.render_naive(statements[:args.sample])
    naive = (time.process_time() - started) / args.sample
    print(f"data assembly of the village: {data_seconds:.2f} s")
    print(f"CPU per household, {args.sample} households in this process: batched {batched * 1000:.0f} ms, "
          f"naive (one document and PDF each) {naive * 1000:.0f} ms → the village the naive way ≈ "
          f"{naive * args.households:.0f} s of CPU in one process")


if __name__ == "__main__":
    main()
