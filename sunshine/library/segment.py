"""Chinese word segmentation for the policy index: normalise, then cut in search mode.

Text is normalised (NFKC: full-width letters and digits become ASCII; case-folded; everything that is not a
letter or a digit becomes a space) and cut with jieba's search mode, which emits a long word and also the
dictionary words inside it (攻坚战 → 攻坚, 攻坚战). Documents are indexed with every token; a query keeps only the
smallest pieces that cover it (see ``query_terms``), so 小额信贷, "小额 信贷" and 扶贫小额信贷 all ask for
小额 AND 信贷. The HMM guesser of unknown words is off: it makes a word's cut depend on its neighbours.

Two implementations of the same algorithm and dictionary: rjieba (Rust, the default: see docs/policy-search.md
for the measurement) and jieba (pure Python), selectable with ``use("jieba")`` for the benchmark only."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

# Words too common to help a search; dropped from documents and queries alike.
STOP_WORDS = frozenset("的了和与及或是之其而也并等在对为以于由将把被着这那个")
# A query longer than this many terms asks for the first ones only (a pasted paragraph still answers quickly).
MAX_QUERY_TERMS = 32
# Letters (L*) and digits (N*) are kept, everything else splits; "_" is a separator for FTS5's unicode61 too.
_SEPARATORS = re.compile(r"[\W_]+")

Tokenizer = Callable[[str], Iterable[tuple[str, int, int]]]  # (word, start, end): for queries
Cutter = Callable[[str], Iterable[str]]  # the words alone, faster: for documents


def _rjieba() -> tuple[Tokenizer, Cutter]:
    import rjieba

    return (lambda text: rjieba.tokenize(text, mode="search", hmm=False),
            lambda text: rjieba.cut_for_search(text, hmm=False))


def _jieba() -> tuple[Tokenizer, Cutter]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return (lambda text: jieba.tokenize(text, mode="search", HMM=False),
            lambda text: jieba.cut_for_search(text, HMM=False))


SEGMENTERS: dict[str, Callable[[], tuple[Tokenizer, Cutter]]] = {"rjieba": _rjieba, "jieba": _jieba}
DEFAULT = "rjieba"
_current: dict[str, object] = {}


def use(name: str) -> None:
    """Switch the implementation (benchmark only: the index must be built and queried with the same one)."""
    if name not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {name!r}")
    _current["name"] = name
    _current["tokenize"], _current["cut"] = SEGMENTERS[name]()


def current() -> str:
    return str(_current.get("name", DEFAULT))


def _tokenize(text: str) -> Iterable[tuple[str, int, int]]:
    if "tokenize" not in _current:
        use(DEFAULT)
    return _current["tokenize"](text)  # type: ignore[operator]


def _cut(text: str) -> Iterable[str]:
    if "cut" not in _current:
        use(DEFAULT)
    return _current["cut"](text)  # type: ignore[operator]


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols as single spaces."""
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def _spans(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) over the normalised text, separators and stop words left out."""
    return [(w, s, e) for w, s, e in _tokenize(normalise(text)) if not w.isspace() and w not in STOP_WORDS]


def tokens(text: str) -> list[str]:
    """Every token of a document (a long word and the words inside it), in order."""
    return [w for w in _cut(normalise(text)) if not w.isspace() and w not in STOP_WORDS]


def segmented(text: str) -> str:
    """The tokens joined by spaces: what the index stores."""
    return " ".join(tokens(text))


def query_terms(text: str) -> list[str]:
    """The smallest pieces that cover the query, each once, in order.

    A long word whose characters are all covered by shorter words inside it is replaced by them (扶贫小额信贷 →
    扶贫, 小额, 信贷: a document with "小额 信贷" has those but not the long word); a word inside a kept longer one
    is left out (攻坚战 keeps 攻坚战: every document with it also has 攻坚)."""
    spans = list(dict.fromkeys(_spans(text)))
    replaced: set[tuple[str, int, int]] = set()
    for span in spans:
        _w, start, end = span
        covered: set[int] = set()
        for _w2, s2, e2 in spans:
            if start <= s2 and e2 <= end and (e2 - s2) < (end - start):
                covered.update(range(s2, e2))
        if covered >= set(range(start, end)) and end - start > 1:
            replaced.add(span)
    kept = [s for s in spans if s not in replaced]
    inside = {s for s in kept for o in kept
              if o != s and o[1] <= s[1] and s[2] <= o[2] and (o[2] - o[1]) > (s[2] - s[1])}
    return list(dict.fromkeys(w for w, s, e in kept if (w, s, e) not in inside))[:MAX_QUERY_TERMS]
