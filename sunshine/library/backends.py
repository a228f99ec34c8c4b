"""The full-text index in the database's own engine, one class per vendor; ``backend()`` picks by the connection.

Both take the same segmented text (sunshine.library.segment) and answer the same question: the ids of the
documents that contain every query term, best first, with a score (higher is better) and the total count.

- SQLite: FTS5 table ``library_policy_fts`` (title, body), unicode61 over space-separated tokens; ranking by
  FTS5's ``bm25()`` with the title weighted ``TITLE_WEIGHT`` times the body.
- PostgreSQL: ``library_policysearchvector.vector`` = setweight(to_tsvector('simple', title), 'A') ||
  to_tsvector('simple', body), GIN index; ranking BM25-style: ts_rank_cd (title weight 1.0, body 0.1) as the
  term frequency, saturated and divided by the document's length relative to the average (k1, b as BM25).

User text never becomes query syntax: FTS5 gets every term as a quoted string ("…" with " doubled); PostgreSQL
gets the terms as one bound parameter to plainto_tsquery, which knows no operators."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

FTS_TABLE = "library_policy_fts"
PG_TABLE = "library_policysearchvector"
TITLE_WEIGHT = 10.0
K1, B = 1.2, 0.75
# Past this many characters a body is not indexed further (tsvector holds 1 MB; one law is far shorter).
MAX_INDEXED_CHARS = 400_000
# PostgreSQL ranks at most this many candidates of a query (see PostgresBackend.search); fewer hits are all ranked.
RANK_CANDIDATES = 200
# The documents to search within (SQL and parameters of a subquery of ids), or None for all of them.
Within = tuple[str, Sequence[object]] | None


@dataclass(frozen=True)
class Entry:
    """A document as the index sees it: its id and the segmented (space-separated) title and body."""

    id: int
    title: str
    body: str

    @property
    def length(self) -> int:
        return self.title.count(" ") + self.body.count(" ") + 2


class SqliteBackend:
    vendor = "sqlite"

    def write(self, entries: Iterable[Entry]) -> None:
        rows = list(entries)
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(e.id,) for e in rows])  # noqa: S608
            cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",  # noqa: S608
                               [(e.id, e.title, e.body) for e in rows])
            # Documents are never deleted, but a test database's flush empties their table and knows no FTS5 table:
            # rows of documents that are gone are dropped here (ids from the small sizes table, not the content),
            # so that every row of the index is a live document and a search needs no join.
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT id FROM {FTS_TABLE}_docsize "  # noqa: S608
                           "EXCEPT SELECT id FROM library_policydocument)")

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608

    @staticmethod
    def match_expression(terms: Sequence[str]) -> str:
        """Every term a quoted FTS5 string: operators and column filters inside it are plain text."""
        return " ".join('"' + t.replace('"', '""') + '"' for t in terms)

    def search(self, terms: Sequence[str], within: Within, limit: int, offset: int
               ) -> tuple[int, list[tuple[int, float]]]:
        where = f"{FTS_TABLE} MATCH %s"
        params: list[object] = [self.match_expression(terms)]
        if within is not None:
            # "+rowid": not a constraint FTS5 may use, so the MATCH drives and the ids are only checked; driven by
            # the ids, SQLite would run the whole MATCH once per document.
            where += f" AND +rowid IN ({within[0]})"
            params += list(within[1])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE {where}", params)  # noqa: S608
            total = cursor.fetchone()[0]
            if not total or limit <= 0:
                return total, []
            cursor.execute(f"SELECT rowid, -bm25({FTS_TABLE}, %s, 1.0) AS score FROM {FTS_TABLE} "  # noqa: S608
                           f"WHERE {where} ORDER BY score DESC, rowid DESC LIMIT %s OFFSET %s",
                           [TITLE_WEIGHT, *params, limit, offset])
            return total, [(int(r[0]), float(r[1])) for r in cursor.fetchall()]

    def optimize(self) -> None:
        """Merge the index's segments into one (after a bulk load; single writes are merged as they go)."""
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")  # noqa: S608

    def size_bytes(self) -> int:
        """Bytes of the FTS5 shadow tables (index, content, sizes), from dbstat when SQLite has it."""
        with connection.cursor() as cursor:
            try:
                cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE %s", [f"{FTS_TABLE}%"])
            except Exception:  # noqa: BLE001 - dbstat is a compile-time option
                return -1
            return int(cursor.fetchone()[0] or 0)


class PostgresBackend:
    vendor = "postgresql"

    def write(self, entries: Iterable[Entry]) -> None:
        rows = [(e.id, e.title, e.body, e.length) for e in entries]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {PG_TABLE} (document_id, vector, length) VALUES "  # noqa: S608
                "(%s, setweight(to_tsvector('simple', %s), 'A') || to_tsvector('simple', %s), %s) "
                "ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector, length = EXCLUDED.length", rows)

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {PG_TABLE}")  # noqa: S608

    def search(self, terms: Sequence[str], within: Within, limit: int, offset: int
               ) -> tuple[int, list[tuple[int, float]]]:
        query = " ".join(terms)
        where = "v.vector @@ plainto_tsquery('simple', %s)"
        params: list[object] = [query]
        if within is not None:
            where += f" AND v.document_id IN ({within[0]})"
            params += list(within[1])
        # Titles that contain every term come first among the candidates (LIKE patterns: the terms are letters
        # and digits only, escaped all the same).
        patterns = ["%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for t in terms]
        with transaction.atomic(), connection.cursor() as cursor:
            # The planner prices @@ as cheap and reads (and decompresses) every vector in a sequential scan when
            # most rows match; the GIN index answers the same in a millisecond without opening a vector.
            # (The penalty that turns the scan off would also make the query look costly enough to compile: no JIT.)
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(f"SELECT count(*) FROM {PG_TABLE} v WHERE {where}", params)  # noqa: S608
            total = cursor.fetchone()[0]
            if not total or limit <= 0:
                ranked: list[tuple[int, float]] = []
            else:
                ranked = self._rank(cursor, where, params, query, patterns, limit, offset)
            # SET LOCAL lasts to the end of the outer transaction (a request's, a test's): undone here. After an
            # error the rollback of atomic()'s savepoint undoes it.
            cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
            cursor.execute("SET LOCAL jit TO DEFAULT")
            return total, ranked

    @staticmethod
    def _rank(cursor, where: str, params: list[object], query: str, patterns: list[str],  # noqa: ANN001
              limit: int, offset: int) -> list[tuple[int, float]]:
        # Ranking reads each candidate's vector: at most RANK_CANDIDATES of them, chosen without reading any
        # (title match first, then the shortest: those BM25 favours for the same term frequency).
        cursor.execute(
            f"""WITH m AS MATERIALIZED (SELECT v.document_id, v.length FROM {PG_TABLE} v WHERE {where}),
            cand AS MATERIALIZED (
                SELECT m.document_id FROM m JOIN library_policydocument d ON d.id = m.document_id
                ORDER BY (d.title ILIKE ALL(%s::text[])) DESC, m.length, m.document_id DESC LIMIT %s),
            avg AS (SELECT greatest(avg(length), 1) AS len FROM {PG_TABLE}),
            hits AS (SELECT v.document_id, v.length,
                            ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', v.vector, plainto_tsquery('simple', %s), 0) * 10
                            AS tf
                     FROM cand JOIN {PG_TABLE} v ON v.document_id = cand.document_id)
            SELECT document_id, tf * %s / (tf + %s * (1 - %s + %s * length / avg.len)) AS score
            FROM hits, avg ORDER BY score DESC, document_id DESC LIMIT %s OFFSET %s""",  # noqa: S608
            [*params, patterns, RANK_CANDIDATES, query, K1 + 1, K1, B, B, limit, offset])
        return [(int(r[0]), float(r[1])) for r in cursor.fetchall()]

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {PG_TABLE}")  # noqa: S608

    def size_bytes(self) -> int:
        """Bytes of the index table with its TOAST and indexes (the GIN index among them)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size(%s)", [PG_TABLE])
            return int(cursor.fetchone()[0] or 0)

    def gin_bytes(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_size('library_policy_vector_gin')")
            return int(cursor.fetchone()[0] or 0)


def backend() -> SqliteBackend | PostgresBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SqliteBackend()
    raise NotImplementedError(f"政策文件全文检索不支持数据库 {connection.vendor}")
