"""Searching the policy library: the query is segmented like the documents (sunshine.library.segment), the
database's index finds and ranks (sunshine.library.backends), and a snippet around the first hit is cut from
the original text here, HTML-escaped with the hits in <mark>: the same on every database.

Any query text is safe: punctuation, quotes, FTS or tsquery operators and 1,000 characters become plain terms
(or none: then the answer is empty), never an error."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from sunshine.core.ids import mask_text
from sunshine.core.sql import inner_sql
from sunshine.library import segment
from sunshine.library.backends import MAX_INDEXED_CHARS, Entry, backend
from sunshine.library.models import PolicyDocument

if TYPE_CHECKING:
    from collections.abc import Iterable

SNIPPET_CHARS = 120
SNIPPET_BEFORE = 30
MAX_QUERY_CHARS = 1000


@dataclass
class Hit:
    document: PolicyDocument
    score: float
    snippet: SafeString


@dataclass
class Results:
    query: str
    terms: list[str]
    total: int = 0
    hits: list[Hit] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    level: str = ""
    issuer: str = ""
    year: int | None = None
    status: str = ""

    def apply(self, qs: QuerySet[PolicyDocument]) -> QuerySet[PolicyDocument]:
        if self.level:
            qs = qs.filter(level=self.level)
        if self.issuer:
            qs = qs.filter(issuer__icontains=self.issuer)
        if self.year:
            qs = qs.filter(issued__year=self.year)
        if self.status:
            qs = qs.filter(status=self.status)
        return qs


def entry(document: PolicyDocument) -> Entry:
    return Entry(id=document.pk, title=segment.segmented(document.title),
                 body=segment.segmented(document.body[:MAX_INDEXED_CHARS]))


def index(documents: Iterable[PolicyDocument]) -> None:
    """Write (or replace) the index rows of these documents; the caller's transaction covers it."""
    backend().write(entry(d) for d in documents)


def reindex_all(batch: int = 200) -> int:
    """Rebuild the whole index from the documents (after a restore, or a change of segmenter)."""
    engine = backend()
    engine.clear()
    count = 0
    ids = list(PolicyDocument.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        docs = PolicyDocument.objects.filter(pk__in=ids[start:start + batch]).only("pk", "title", "body")
        engine.write(entry(d) for d in docs)
        count += len(docs)
    engine.optimize()
    return count


def search(query: str, filters: Filters | None = None, *, limit: int = 20, offset: int = 0) -> Results:
    """Documents containing every term of ``query`` (within ``filters``), best first."""
    query = (query or "")[:MAX_QUERY_CHARS]
    terms = segment.query_terms(query)
    results = Results(query=query, terms=terms)
    if not terms:
        return results
    filters = filters or Filters()
    within = None
    if filters != Filters():
        within = inner_sql(filters.apply(PolicyDocument.objects.all()).values("pk"))
        if within is None:  # filters no document can match
            return results
    total, ranked = backend().search(terms, within, max(0, limit), max(0, offset))
    results.total = total
    docs = PolicyDocument.objects.select_related("supersedes").in_bulk([pk for pk, _s in ranked])
    results.hits = [Hit(document=docs[pk], score=score, snippet=snippet(docs[pk].body, terms))
                    for pk, score in ranked if pk in docs]
    return results


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # The terms side by side (小额信贷) first: one <mark> for the phrase rather than one per word.
    words = {*terms, "".join(terms)}
    return re.compile("|".join(re.escape(t) for t in sorted(words, key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` HTML-escaped, each occurrence of a term wrapped in <mark>."""
    pattern = _pattern(terms)
    if pattern is None:
        return mark_safe(html.escape(text))  # noqa: S308 - escaped just now
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def snippet(body: str, terms: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """About ``width`` characters of the body around the first hit (the start when the hit is only in the
    title), on one line, hits marked."""
    found = None
    # The whole query as typed together first (小额信贷 where the words stand side by side), then any term.
    for candidate in ("".join(terms), *sorted(terms, key=len, reverse=True)):
        found = re.search(re.escape(candidate), body, re.IGNORECASE) if candidate else None
        if found:
            break
    start = max(0, found.start() - SNIPPET_BEFORE) if found else 0
    # A policy document has no ID numbers; one pasted in by mistake is masked like everywhere else.
    piece = mask_text(" ".join(body[start:start + width].split()))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(body) else ""
    return mark_safe(prefix + highlight(piece, terms) + suffix)  # noqa: S308 - highlight escapes
