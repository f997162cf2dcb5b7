"""The built-in model's classifiers, measured on phrasings they never trained on
(tests/ai/heldout/): accuracy overall and per intent, for staff and customer texts, and
the language of each customer text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from switchboard.ai.builtin.intents import (
    IntentClassifier,
    classifier,
    load_corpus,
    normalise,
    parse_corpus,
)

HELD_OUT = Path(__file__).parent / "heldout"
OVERALL, PER_INTENT = 0.95, 0.85


def held_out(name: str) -> list:  # type: ignore[type-arg]
    return parse_corpus((HELD_OUT / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["staff", "customer"])
def test_the_held_out_phrasings_were_never_trained_on(name: str) -> None:
    trained = {normalise(example.text).strip(" ?!.") for example in load_corpus(name)}
    tested = held_out(name)
    assert tested and not [e.text for e in tested if normalise(e.text).strip(" ?!.") in trained]


@pytest.mark.parametrize("name", ["staff", "customer"])
def test_the_corpus_has_forty_phrasings_an_intent(name: str) -> None:
    counts = Counter(example.intent for example in load_corpus(name))
    assert min(counts.values()) >= 40, counts
    assert set(counts) == {example.intent for example in held_out(name)}


@pytest.mark.parametrize("name", ["staff", "customer"])
def test_held_out_accuracy(name: str) -> None:
    model = classifier(name)
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    misses = []
    for example in held_out(name):
        seen[example.intent] += 1
        got = model.classify(example.text).intent
        if got == example.intent:
            right[example.intent] += 1
        else:
            misses.append((example.text, example.intent, got))
    overall = sum(right.values()) / sum(seen.values())
    per_intent = {intent: right[intent] / seen[intent] for intent in seen}
    print(f"{name}: {overall:.1%} overall; misses: {misses}")
    assert overall >= OVERALL, misses
    assert min(per_intent.values()) >= PER_INTENT, (per_intent, misses)


def test_the_customers_language_is_told_apart() -> None:
    model = classifier("customer")
    examples = held_out("customer")
    right = sum(model.classify(e.text).language == e.language for e in examples)
    assert right / len(examples) >= OVERALL
    assert {e.language for e in examples} == {"en", "es"}


def test_fast_scores_equal_scikit_learns() -> None:
    """Scoring one text by hand (no sparse matrix per call) gives what the fitted pipeline
    gives: the same vector, the same decision scores."""
    model = classifier("staff")
    for text in ["what's on my plate today?", "assign the Garcia task to Marcus", "zzz"]:
        ours = model.scores(text)
        theirs = model.intents.decision_function(model.vectorizer.transform([text]))[0]
        for label, score in zip(model.labels, theirs, strict=True):
            assert ours[label] == pytest.approx(float(score), abs=1e-9)


def test_unsure_texts_get_no_intent() -> None:
    model = IntentClassifier(
        parse_corpus(
            "# a\nbook a visit\nschedule a visit\n# b\ncancel it\ncall it off\n"
            "# c\nwhat time is it\nwhen is it\n"
        )
    )
    assert model.classify("book a visit please").intent == "a"
    assert model.classify("").intent is None
    assert model.classify("qwxz").intent is None


def test_a_customer_text_it_is_unsure_of_goes_to_a_person() -> None:
    from switchboard.ai.builtin.customer import Intent, understand

    assert understand("qwzx vbnm plok")[0] == Intent.other
    # A long text that starts like a greeting says more than hello: a person reads it.
    long_hello = "hi there, my neighbour said you might know about the drainage by the fence"
    assert understand(long_hello)[0] == Intent.other


async def test_warm_up_trains_once_off_the_event_loop() -> None:
    from switchboard.ai.builtin.intents import trained, warm_up

    first, again = warm_up(), warm_up()
    assert first is again
    assert (await trained("staff")) is classifier("staff")
