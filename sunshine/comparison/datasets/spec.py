"""A dataset's file: which headers it may carry, and the rules on its columns as a whole (checked before any
row: a file that breaks them is refused whole, even with --partial)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sunshine.engine.comparison.datasets import DATASETS, FILE_COMMON, HASH, ID, Column, Dataset
from sunshine.registry.transfer.model import RowError

ID_FIELD, HASH_FIELD = "id_number", "id_hash"


@dataclass(frozen=True)
class DatasetSpec:
    """The columns a file of one dataset may carry. Quacks like the registry's TableSpec where its readers
    need one (header_lookup, sheet_names)."""

    dataset: Dataset

    @classmethod
    def of(cls, name: str) -> DatasetSpec:
        try:
            return cls(DATASETS[name])
        except KeyError:
            raise ValueError(f"未知的部门数据集:{name}") from None

    @property
    def name(self) -> str:
        return self.dataset.name

    @cached_property
    def columns(self) -> tuple[Column, ...]:
        return (*FILE_COMMON, *self.dataset.columns)

    @cached_property
    def by_field(self) -> dict[str, Column]:
        return {c.field: c for c in self.columns}

    @property
    def sheet_names(self) -> tuple[str, ...]:
        # A workbook's sheet named after the dataset is read, else its first sheet.
        return (self.dataset.label, self.dataset.name)

    @cached_property
    def header_lookup(self) -> dict[str, str]:
        """Header as a file may write it (Chinese, or the English field in any case) → field."""
        lookup: dict[str, str] = {}
        for column in self.columns:
            lookup[column.header] = column.field
            lookup[column.field.lower()] = column.field
        return lookup

    def header_errors(self, *, file: str, sheet: str, header_row: int, headers: dict[str, str],
                      duplicates: list[str]) -> list[RowError]:
        """What is wrong with the file's columns: a required column missing, a column named twice, no ID
        column or both kinds, plain and hashed IDs mixed. ``headers``: field → header as written."""
        def error(column: str, message: str, value: str = "") -> RowError:
            return RowError(file, sheet, header_row, column, value, message)

        errors: list[RowError] = []
        for column in self.columns:
            if column.required and column.field not in headers:
                errors.append(error(column.header, f"缺少必填列“{column.header}”(也可写作 {column.field})"))
        for text in duplicates:
            errors.append(error(text, "列重复:与前面的一列表示同一项,请删除其中一列", text))
        plain, hashed = ID_FIELD in headers, HASH_FIELD in headers
        id_header, hash_header = self.by_field[ID_FIELD].header, self.by_field[HASH_FIELD].header
        if not plain and not hashed:
            errors.append(error(id_header, f"缺少“{id_header}”列(约定提供哈希值的部门用“{hash_header}”列)"))
        elif plain and hashed:
            errors.append(error(headers[HASH_FIELD],
                                f"“{id_header}”和“{hash_header}”只能提供其中一列", headers[HASH_FIELD]))
        else:
            # The other ID columns (户主身份证号) come in the same form as the person's.
            wrong_kind = ID if hashed else HASH
            for column in self.dataset.columns:
                if column.kind == wrong_kind and column.field in headers:
                    pair = next(c for c in self.dataset.columns
                                if c.kind != wrong_kind and c.kind in (ID, HASH) and c is not column)
                    form = "哈希值" if hashed else "明文身份证号"
                    errors.append(error(headers[column.field],
                                        f"本文件的身份证号为{form},此列也应为{form}(“{pair.header}”列)",
                                        headers[column.field]))
        return errors

    def hashed(self, headers: dict[str, str]) -> bool:
        return HASH_FIELD in headers
