"""Department datasets (部门数据): files validated like the registry's and kept as versioned Parquet loads.

spec.py      a dataset's file: headers, and the rules on its columns as a whole
sources.py   files → batches of text cells (the registry's readers; pyarrow for large CSV and Parquet)
parse.py     text columns → typed columns, kind by kind (vectorised, the registry's cell parsers for the rest)
validate.py  a batch → stored columns, row errors, invalid-ID counts
storage.py   DATA_DIR/datasets/<name>/v<version>.parquet and its DatasetLoad, atomically
loader.py    load_dataset: the procedure the CLI and the upload task share

Decisions (data-dictionary.md "Department datasets"): a missing or invalid ID is not a row error — the row is
kept with id_number NULL and id_raw as written, counted in invalid_ids, and matched probabilistically later;
birth_date and gender come from the file's 出生日期/性别, else the valid ID, else the date digits of an
invalid 18/15-character ID. A file carries 身份证号 or 身份证号哈希 (hashed=True), never both; 户主身份证号 then
comes in the same form. Unknown columns are ignored with a warning. An invalid 户主身份证号 is stored as NULL
with a warning (the row is kept).
"""

from sunshine.comparison.datasets.loader import (
    ROLES_THAT_LOAD_DATASETS,
    LoadOutcome,
    can_load_datasets,
    load_dataset,
)
from sunshine.comparison.datasets.storage import load_path, store_table

__all__ = ["ROLES_THAT_LOAD_DATASETS", "LoadOutcome", "can_load_datasets", "load_dataset", "load_path",
           "store_table"]
