"""The tables a comparison run reads and the table it writes, as Arrow schemas.

people    one row per member of the checked year, whatever their 成员状态 and whatever the household's status
          (the rules themselves keep "active members of households not 已销户"). member_key identifies the row
          (the MemberYear id in the app; any unique integer will do), person_key the person across years.
          There is no plain ID number: id_hash is the keyed hash of the member's ID (HMAC-SHA256 under the
          installation's key, the database's Person.id_number_hash; NULL when the ID is empty), and C-ID reads
          the facts derived from the ID when the snapshot was taken (ID_FACTS, sunshine.engine.comparison.prepare).
ds_<name> one table per department dataset in the run, schema sunshine.engine.comparison.datasets.arrow_schema.
          The rules match on id_hash whatever the load's kind (an 'exact' load has it computed at load time);
          they never read id_number, which a stored load keeps encrypted.
links     probabilistic links of department rows that have no valid ID to registry members
          (sunshine.engine.linkage): the rules treat a linked row as that member's, with match 'probabilistic'.
findings  what run_comparison returns, one row per finding, in a fixed order (rule, household_no, id_hash,
          dataset, first evidence row) so that a re-run on the same snapshot gives identical output. id_number
          is NULL: the person is the member (member_key) or, outside the registry, the id_hash; the caller
          puts plain numbers back for those that may see them and sorts again (prepare.resolve_ids).
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
    # Facts of the ID as stored, for C-ID (the SQL once parsed the plain ID): NULL unless id_well_formed.
    pa.field("id_well_formed", pa.bool_(), nullable=False),   # 17 digits then a digit or X
    pa.field("id_birth", pa.date32()),                        # its date digits, when they are a calendar date
    pa.field("id_check_ok", pa.bool_()),                      # the GB 11643 check digit is right
    pa.field("id_gender", pa.string()),                       # male / female by the 17th digit
])
ID_FACTS = ("id_well_formed", "id_birth", "id_check_ok", "id_gender")

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
    pa.field("id_number", pa.string()),        # NULL from the engine; resolve_ids fills it (the app masks it)
    pa.field("id_hash", pa.string()),          # the person's keyed hash; NULL once resolved to a plain ID
    pa.field("name", pa.string()),
    pa.field("dataset", pa.string()),          # NULL for registry-only rules (C-DUP, C-ID)
    pa.field("source_rows", pa.list_(pa.int64())),  # the department rows that are the evidence, ascending
    pa.field("match", pa.string()),            # exact · hashed · probabilistic; NULL for registry-only rules
    pa.field("probability", pa.float64()),     # only for probabilistic matches (the lowest of the rows used)
    pa.field("explanation", pa.string(), nullable=False),
])
