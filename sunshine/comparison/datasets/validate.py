"""One batch of text cells → the stored columns of arrow_schema(name), the rows with errors and the errors.

The rules (data-dictionary.md, "Department datasets"; the decisions in the package docstring): an empty
required cell, a value outside an enumeration, a bad date/amount/year/number, a malformed id_hash or division
code, and a 出生日期/性别 that disagrees with a valid ID are row errors. A missing or invalid ID is not: the row is
kept with id_number NULL and id_raw as written, and counted. Everything is column-at-a-time; Python only sees
distinct texts the fast paths cannot read, and the rows that have errors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sunshine.comparison.datasets import parse
from sunshine.comparison.datasets.sources import Source, TextBatch
from sunshine.comparison.datasets.spec import HASH_FIELD, ID_FIELD, DatasetSpec
from sunshine.engine.comparison import datasets as d
from sunshine.engine.comparison.idhash import ParsedIds, parse_ids
from sunshine.registry.transfer import cells
from sunshine.registry.transfer.model import RowError
from sunshine.registry.validation import check_identity

REQUIRED_MESSAGE = "必填,不能为空"


@dataclass
class Checked:
    batch: pa.RecordBatch      # every row of the batch in the stored schema (bad cells null)
    bad: np.ndarray            # bool per row: the row has an error
    error_count: int
    errors: list[RowError]     # the batch's first errors in report order (at most the limit asked for)
    invalid_ids: np.ndarray    # bool per row: no usable ID (missing or invalid; a hashed file: no hash)
    invalid_heads: int         # 户主身份证号 given but not a valid ID (stored as NULL)
    mangled_ids: int = 0       # 身份证号 that Excel turned into a number (3.20321E+17): the last digits are lost


def _ascii_ids(texts: pa.Array) -> pa.Array:
    """Full-width digits and X (from Chinese input methods) read as their ASCII forms, as the registry does."""
    non_ascii = pc.invert(pc.fill_null(pc.string_is_ascii(texts), True))
    if not pc.any(non_ascii).as_py():
        return texts
    translated, _ = parse.by_unique(pc.if_else(non_ascii, texts, parse.NULL_TEXT),
                                    lambda t: t.translate(cells.FULL_WIDTH), pa.string())
    return pc.coalesce(translated, texts)


def _messages(n: int, rows: dict[int, str]) -> pa.Array | None:
    if not rows:
        return None
    out: list[str | None] = [None] * n
    for i, message in rows.items():
        out[i] = message
    return pa.array(out, type=pa.string())


class BatchChecker:
    """The rules of one file; call ``check`` on each of its batches in order."""

    def __init__(self, spec: DatasetSpec, source: Source) -> None:
        self.spec, self.source = spec, source
        self.hashed = spec.hashed(source.headers)
        self.schema = d.arrow_schema(spec.name)
        self.present = [c for c in spec.columns if c.field in source.headers]
        # Errors of a row are listed by column header, as the registry's reports are.
        self.rank = {f: r for r, f in enumerate(sorted(source.headers, key=source.headers.__getitem__))}

    def check(self, batch: TextBatch, limit: int) -> Checked:
        typed: dict[str, pa.Array] = {}
        messages: dict[str, pa.Array] = {}
        ids: ParsedIds | None = None
        invalid_heads = mangled = 0
        for column in self.present:
            texts = batch.cells[column.field]
            if column.kind == d.ID:
                parsed = parse_ids(_ascii_ids(texts))
                if column.field == ID_FIELD:
                    ids = parsed
                    mangled = int(pc.sum(pc.match_substring(texts, "E+", ignore_case=True)).as_py() or 0)
                    typed["id_raw"] = pc.if_else(pa.array(parsed.valid), parse.NULL_TEXT, texts)
                else:
                    invalid_heads += int(pc.sum(pc.is_valid(texts)).as_py() or 0) - int(parsed.valid.sum())
                values, errors = parsed.number, None
            else:
                values, errors = parse.parse_column(column, texts)
            if column.required:
                empty = pc.if_else(pc.is_null(texts), REQUIRED_MESSAGE, parse.NULL_TEXT)
                errors = empty if errors is None else pc.coalesce(errors, empty)
            typed[column.field] = values
            if errors is not None:
                messages[column.field] = errors
        if ids is not None:
            self._identity(ids, typed, messages, batch)
        invalid = ~ids.valid if ids is not None else \
            pc.is_null(typed[HASH_FIELD]).to_numpy(zero_copy_only=False)
        bad, count, errors = self._errors(batch, messages, limit)
        return Checked(self._stored(batch, typed), bad, count, errors, invalid, invalid_heads, mangled)

    def _identity(self, ids: ParsedIds, typed: dict[str, pa.Array], messages: dict[str, pa.Array],
                  batch: TextBatch) -> None:
        """出生日期/性别 from the file, else from the ID; when both are given they must agree."""
        n = len(batch)
        given_birth, given_gender = typed.get("birth_date"), typed.get("gender")
        disagree = np.zeros(n, dtype=bool)
        for given, from_id in ((given_birth, ids.birth_date), (given_gender, ids.gender)):
            if given is not None:
                differs = pc.fill_null(pc.not_equal(given, from_id), False).to_numpy(zero_copy_only=False)
                disagree |= differs & ids.valid
        found: dict[str, dict[int, str]] = {"birth_date": {}, "gender": {}}
        if disagree.any():
            numbers = ids.number
            for i in np.flatnonzero(disagree).tolist():
                birth = given_birth[i].as_py() if given_birth is not None else None
                gender = given_gender[i].as_py() if given_gender is not None else None
                for field, message in check_identity(numbers[i].as_py(), gender, birth)[3].items():
                    found[field][i] = message
        for field, rows in found.items():
            extra = _messages(n, rows)
            if extra is not None:
                messages[field] = extra if field not in messages else pc.coalesce(messages[field], extra)
        typed["birth_date"] = ids.birth_date if given_birth is None else pc.coalesce(given_birth, ids.birth_date)
        typed["gender"] = ids.gender if given_gender is None else pc.coalesce(given_gender, ids.gender)

    def _errors(self, batch: TextBatch, messages: dict[str, pa.Array],
                limit: int) -> tuple[np.ndarray, int, list[RowError]]:
        n = len(batch)
        bad = np.zeros(n, dtype=bool)
        where: list[np.ndarray] = []
        ranks: list[np.ndarray] = []
        fields: list[str] = []
        for field, errors in messages.items():
            rows = np.flatnonzero(pc.is_valid(errors).to_numpy(zero_copy_only=False))
            if len(rows):
                bad[rows] = True
                where.append(rows)
                ranks.append(np.full(len(rows), len(fields)))
                fields.append(field)
        if not where:
            return bad, 0, []
        at, which = np.concatenate(where), np.concatenate(ranks)
        order = np.lexsort((np.array([self.rank[f] for f in fields])[which], at))[:max(limit, 0)]
        source, out = self.source, []
        for k in order.tolist():
            i, field = int(at[k]), fields[which[k]]
            value = batch.cells[field][i].as_py() or ""
            out.append(RowError(source.file, source.sheet, int(batch.rows[i]), source.headers[field], value,
                                messages[field][i].as_py()))
        return bad, len(at), out

    def _stored(self, batch: TextBatch, typed: dict[str, pa.Array]) -> pa.RecordBatch:
        n = len(batch)
        arrays = []
        for f in self.schema:
            if f.name == "source_row":
                arrays.append(pa.array(batch.rows, type=pa.int64()))
            elif f.name in typed:
                arrays.append(typed[f.name])
            else:
                arrays.append(pa.nulls(n, f.type))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)
