"""The tables monitoring (policy-rules.md §5) reads besides the registry snapshot, and the table it writes.

Inputs (registered in the backend with these names):
households, members  the registry snapshot of sunshine.engine.snapshot (HOUSEHOLDS, MEMBERS) holding the checked
                     year and the year before (more years are allowed); members carry the optional columns health,
                     disability_level, labour_ability and change_date that §5 M-SUDDEN reads, and ``id_hash``
                     (MEMBER_ID_HASH) in place of the ID number, which monitoring never reads.
signals              comparison findings of the checked year that §5 reads (C-MEDCOST, C-DISASTER,
                     C-DIBAO-MISSING), schema SIGNALS; findings verified as 不属实 are left out by the caller.
monitored            households outside the registry that are watched (边缘户), schema MONITORED.
loans_overdue        the overdue 扶贫小额信贷 loans of registered households at the monitoring date (funds.md §5:
                     outstanding principal > 0 after the due date, the extension's when there is one; a renewed
                     loan is repaid), schema LOANS_OVERDUE; §5's loan signal fires on those overdue more than
                     loan_overdue_warning_days.

People are matched and signed on ``id_hash``, the keyed hash of the ID number (the comparison's id_hash,
sunshine.engine.comparison.idhash; the database's ``*_hash`` columns), never on the plain number: a snapshot
holds no plain ID. What monitoring derives from an ID is derived when the snapshot is made, in its own column:
the region of a 低保 head outside the registry (``region_code``) and the order of the IDs (``id_order``), which
orders texts and rows exactly as the plain numbers did. Callers with plain tables use
sunshine.engine.monitoring.prepare.

Output: WARNINGS, one row per household (registered or monitored or a 低保 head outside the registry) with at
least one warning code, in a fixed order (subject, household_no / number / id, …) so a re-run gives identical rows.
``signals_text`` lists the data that raised the warning in a canonical form: the app hashes it into the warning's
signature, so the same data never raises a cleared warning again and different data raises a new one."""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(14, 2)

SIGNALS = pa.schema([
    pa.field("rule", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("household_key", pa.int64()),      # NULL outside the registry (C-DIBAO-MISSING)
    pa.field("id_hash", pa.string()),           # the keyed hash of the person's ID number; NULL without one
    pa.field("id_order", pa.int64()),           # the ID's rank among the IDs of the table (orders texts and rows)
    pa.field("region_code", pa.string()),       # the ID's region: its first 6 characters + '000000'
    pa.field("name", pa.string()),
    pa.field("village_code", pa.string()),      # the owner division's code (12 digits) outside the registry
    pa.field("explanation", pa.string()),
])

MONITORED = pa.schema([
    pa.field("monitored_key", pa.int64(), nullable=False),
    pa.field("number", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("division_code", pa.string(), nullable=False),
    pa.field("head_name", pa.string()),
    pa.field("head_id_hash", pa.string()),      # the keyed hash of the head's ID number
    pa.field("members", pa.int32()),
    pa.field("per_capita_income", MONEY),
])

LOANS_OVERDUE = pa.schema([
    pa.field("household_key", pa.int64(), nullable=False),
    pa.field("loan_no", pa.string(), nullable=False),
    pa.field("days", pa.int32(), nullable=False),       # days past the due date at the monitoring date (> 0)
    pa.field("outstanding", MONEY, nullable=False),     # principal outstanding at the monitoring date (> 0)
])

MEMBER_ID_HASH = pa.field("id_hash", pa.string())  # the extra column of ``members``

CONTRIBUTION = pa.struct([pa.field("signal", pa.string()), pa.field("points", pa.int32())])

WARNINGS = pa.schema([
    # registered · monitored · outside (a 低保 head found by C-DIBAO-MISSING)
    pa.field("subject", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("household_key", pa.int64()),
    pa.field("household_no", pa.string()),
    pa.field("monitored_key", pa.int64()),
    pa.field("number", pa.string()),                     # the monitored household's number
    pa.field("id_hash", pa.string()),                    # the head's ID hash for monitored / outside subjects
    pa.field("name", pa.string()),                       # the head's name
    pa.field("division_code", pa.string(), nullable=False),
    pa.field("codes", pa.list_(pa.string()), nullable=False),   # M-UNSTABLE, M-EDGE, M-SUDDEN, M-SLIP in that order
    pa.field("score", pa.int32(), nullable=False),       # 0–100
    pa.field("contributions", pa.list_(CONTRIBUTION), nullable=False),  # signal → points, in signal order
    pa.field("per_capita_income", MONEY),
    pa.field("explanation", pa.string(), nullable=False),
    pa.field("signals_text", pa.string(), nullable=False),
])
