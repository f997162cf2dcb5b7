"""Intents learned from examples: the built-in model's classifier.

The labelled phrasings in `corpus/*.txt` train a linear model (scikit-learn's TF-IDF over
character and word n-grams, then a linear SVM) once per process. A text gets the intent
that scores best, or none when the best score is low or too close to the runner-up: the
staff side then asks one clarifying question and the customer side hands the text to a
person. Customers write in English or Spanish, so the customer corpus also teaches the
language a reply should come in.

Training takes a fraction of a second; `warm_up()` runs it on a thread at start-up so the
first turn does not wait. Scoring one text is a few dictionary look-ups and one small
matrix product, well under a millisecond."""

from __future__ import annotations

import itertools
import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

# Below this score, or this close to the runner-up, the classifier does not decide.
MIN_SCORE = -0.35
MIN_MARGIN = 0.12

_SECTION = re.compile(r"^#\s*([a-z_]+)(?:\s+@([a-z]{2}))?\s*$")
_WORD = re.compile(r"[a-z0-9$#]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str = "en"


def parse_corpus(text: str) -> list[Example]:
    """`# intent` (or `# intent @es`) opens a section; each other line is one phrasing.
    Comment lines before the first section, and blank lines, are skipped."""
    examples: list[Example] = []
    intent: str | None = None
    language = "en"
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        section = _SECTION.match(line)
        if section:
            intent, language = section.group(1), section.group(2) or "en"
            continue
        if line.startswith("#") or intent is None:
            continue
        examples.append(Example(line, intent, language))
    return examples


def load_corpus(name: str) -> list[Example]:
    """The training phrasings shipped with the package: `corpus/{name}.txt`."""
    source = resources.files("switchboard.ai.builtin").joinpath("corpus", f"{name}.txt")
    return parse_corpus(source.read_text(encoding="utf-8"))


def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, accents dropped ("cuándo" = "cuando")."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def features(text: str) -> list[str]:
    """Word unigrams and bigrams, and character 2- to 4-grams within each word (padded with
    spaces), so a misspelt word still shares most of its pieces with the right one."""
    words = _WORD.findall(normalise(text))
    found = [f"w:{word}" for word in words]
    found += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    for word in words:
        padded = f" {word} "
        for size in (2, 3, 4):
            found += [padded[i : i + size] for i in range(len(padded) - size + 1)]
    return found


@dataclass(frozen=True)
class Scored:
    """The best intent, how sure the model is, and the runner-up."""

    intent: str | None  # None: not sure enough to act
    best: str
    score: float
    runner_up: str
    margin: float
    language: str = "en"


class IntentClassifier:
    """TF-IDF features and a linear SVM per label set (intents, and languages when the
    corpus has more than one), trained once from `examples`."""

    def __init__(self, examples: list[Example]) -> None:
        # Imported here: only the built-in model needs scikit-learn, and it is slow to load.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        texts = [example.text for example in examples]
        self.vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True)
        matrix = self.vectorizer.fit_transform(texts)
        self.intents = LinearSVC(C=0.8).fit(matrix, [e.intent for e in examples])
        languages = sorted({example.language for example in examples})
        self.languages = (
            LinearSVC(C=0.8).fit(matrix, [e.language for e in examples])
            if len(languages) > 1
            else None
        )
        self.only_language = languages[0] if languages else "en"
        self._vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        self._idf = self.vectorizer.idf_
        self.labels: list[str] = [str(label) for label in self.intents.classes_]

    def _vector(self, text: str) -> tuple[list[int], Any]:
        """The text's TF-IDF vector as (columns, weights), as `vectorizer.transform` makes it."""
        import numpy as np

        counts = Counter(f for f in features(text) if f in self._vocabulary)
        columns = [self._vocabulary[f] for f in counts]
        weights = np.array(
            [
                (1 + math.log(n)) * self._idf[column]
                for column, n in zip(columns, counts.values(), strict=True)
            ]
        )
        norm = float(np.sqrt((weights**2).sum())) if columns else 0.0
        return columns, (weights / norm if norm else weights)

    def scores(self, text: str) -> dict[str, float]:
        """Each intent's decision score for `text` (higher is likelier)."""
        columns, weights = self._vector(text)
        raw = self.intents.intercept_ + self.intents.coef_[:, columns] @ weights
        if len(self.labels) == 2:  # one score for two classes: the second's, the first's negated
            return {self.labels[0]: -float(raw[0]), self.labels[1]: float(raw[0])}
        return {label: float(score) for label, score in zip(self.labels, raw, strict=True)}

    def language(self, text: str) -> str:
        if self.languages is None:
            return self.only_language
        columns, weights = self._vector(text)
        if not columns:
            return self.only_language
        score = float(self.languages.intercept_[0] + self.languages.coef_[0, columns] @ weights)
        return str(self.languages.classes_[1] if score > 0 else self.languages.classes_[0])

    def classify(self, text: str) -> Scored:
        ranked = sorted(self.scores(text).items(), key=lambda item: item[1], reverse=True)
        (best, score), (runner_up, second) = ranked[0], ranked[1]
        margin = score - second
        sure = score >= MIN_SCORE and margin >= MIN_MARGIN and bool(_WORD.search(normalise(text)))
        return Scored(
            intent=best if sure else None,
            best=best,
            score=score,
            runner_up=runner_up,
            margin=margin,
            language=self.language(text),
        )


_lock = threading.Lock()


@cache
def _trained(name: str) -> IntentClassifier:
    return IntentClassifier(load_corpus(name))


_ready: set[str] = set()


async def trained(name: str) -> IntentClassifier:
    """`classifier(name)` without holding up the event loop: while it is still training
    (on the warm-up thread, or here for the first time), wait for it on a thread."""
    if name in _ready:
        return classifier(name)
    import asyncio

    return await asyncio.to_thread(classifier, name)


@lru_cache(maxsize=1024)
def classify(name: str, text: str) -> Scored:
    """`classifier(name).classify(text)`, remembered: each round of a turn reads the same
    request again."""
    return classifier(name).classify(text)


def classifier(name: str) -> IntentClassifier:
    """The process's classifier for `corpus/{name}.txt` ("staff" or "customer"), trained on
    first use; concurrent first uses train it once."""
    with _lock:
        trained = _trained(name)
        _ready.add(name)
        return trained


_warming: threading.Thread | None = None


def warm_up() -> threading.Thread:
    """Train both classifiers (and load the date parser) on a background thread, once per
    process, so the server starts at once and the first turn finds them ready."""
    global _warming
    with _lock:
        if _warming is not None:
            return _warming

    def train() -> None:
        classifier("staff")
        classifier("customer")
        from switchboard.ai.builtin.slots import warm_dates

        warm_dates()

    thread = threading.Thread(target=train, name="builtin-model-warm-up", daemon=True)
    with _lock:
        if _warming is None:
            _warming = thread
            thread.start()
        return _warming
