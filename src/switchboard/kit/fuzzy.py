"""Names matched fuzzily (rapidfuzz): a misspelt contact, staff member or task still finds
its record ("garica" -> "Garcia", "Marcs" -> "Marcus Reed")."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

# A word of the request and a word of a record "match" at this similarity (0-100).
WORD_MATCH = 80

_WORDS = re.compile(r"[A-Za-z0-9][\w'\u2019&.-]*")


def word_similarity(query: str, haystack: str) -> float:
    """How well the informative words of `query` are found among the words of `haystack`
    (0 to 1), each word matched fuzzily ("garica" finds "Garcia")."""
    words = [w.lower() for w in _WORDS.findall(query) if len(w) > 2]
    targets = [w.lower() for w in _WORDS.findall(haystack)]
    if not words or not targets:
        return 0.0
    total = 0.0
    for word in words:
        best = max(fuzz.ratio(word, target) for target in targets)
        total += best / 100 if best >= WORD_MATCH else 0.0
    return total / len(words)


def best_match(query: str, candidates: dict[str, str], cutoff: float = WORD_MATCH) -> list[str]:
    """The keys of `candidates` (key -> its name) whose name `query` names best: one key
    when there is a clear winner, several when they tie, none under `cutoff`."""
    scored = {
        key: max(fuzz.WRatio(query.lower(), name.lower()), 100 * word_similarity(query, name))
        for key, name in candidates.items()
    }
    if not scored:
        return []
    top = max(scored.values())
    if top < cutoff:
        return []
    return [key for key, score in scored.items() if score >= top - 2]
