"""The tables a comparison run reads and the table it writes, as Arrow schemas.

people    one row per member of the checked year, whatever their 成员状态 and whatever the household's status
          (the rules themselves keep "active members of households not 已销户"). member_key identifies the row
          (the MemberYear id in the app; any unique integer will do), person_key the person across years.
          id_hash is filled (HMAC-SHA256 of id_number under the installation's key) when a hashed dataset is in
          the run, else NULL.
ds_<name> one table per department dataset in the run, schema sunshine.engine.comparison.datasets.arrow_schema.
links     probabilistic links of department rows that have no valid ID to registry members
          (sunshine.engine.linkage): the rules treat a linked row as that member's, with match 'probabilistic'.
findings  what run_comparison returns, one row per finding, in a fixed order (rule, household_no, id_number,
          dataset, first evidence row) so that a re-run on the same snapshot gives identical output.
"""

from __future__ import annotations

import pyarrow as pa

PEOPLE = pa.schema([
    pa.field("member_key", pa.int64(), nullable=False),
    pa.field("person_key", pa.int64(), nullable=False),
    pa.field("household_key", pa.int64(), nullable=False),
    pa.field("household_no", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("village_code", pa.string(), nullable=False),
    pa.field("household_status", pa.string()),
    pa.field("housing_grade", pa.string()),
    pa.field("renovation_status", pa.string()),
    pa.field("name", pa.string()),
    pa.field("id_number", pa.string()),
    pa.field("id_hash", pa.string()),
    pa.field("gender", pa.string()),
    pa.field("birth_date", pa.date32()),
    pa.field("relation", pa.string()),
    pa.field("education_level", pa.string()),
    pa.field("school_status", pa.string()),
    pa.field("health", pa.string()),
    pa.field("disability_level", pa.string()),
    pa.field("receives_dibao", pa.bool_()),
    pa.field("member_status", pa.string()),
    pa.field("change_date", pa.date32()),
])

LINKS = pa.schema([
    pa.field("dataset", pa.string(), nullable=False),
    pa.field("source_row", pa.int64(), nullable=False),
    pa.field("member_key", pa.int64(), nullable=False),
    pa.field("probability", pa.float64(), nullable=False),
])

FINDINGS = pa.schema([
    pa.field("rule", pa.string(), nullable=False),
    pa.field("severity", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("household_key", pa.int64()),     # NULL when the person is outside the registry
    pa.field("household_no", pa.string()),
    pa.field("member_key", pa.int64()),
    pa.field("village_code", pa.string()),     # the registry household's village; NULL outside the registry
    pa.field("id_number", pa.string()),        # full; the app masks it for the reader
    pa.field("id_hash", pa.string()),          # when matched on a hash and no plain ID is known
    pa.field("name", pa.string()),
    pa.field("dataset", pa.string()),          # NULL for registry-only rules (C-DUP, C-ID)
    pa.field("source_rows", pa.list_(pa.int64())),  # the department rows that are the evidence, ascending
    pa.field("match", pa.string()),            # exact · hashed · probabilistic; NULL for registry-only rules
    pa.field("probability", pa.float64()),     # only for probabilistic matches (the lowest of the rows used)
    pa.field("explanation", pa.string(), nullable=False),
])
