"""The extractor's time budget is enforced even when one component hangs."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from typing import Any

import pytest

from nlp.extractor import Extractor, TimeBudgetExceeded, hard_budget
from nlp.registry import Doc, build, register
from nlp.types import MessageInput, NlpConfig

MSG = MessageInput(subject="Preservation request", from_address="j.doe@police.example",
                   text="Please preserve the account @someone under case 26-0042.")


@register("test_sleeper")
class Sleeper:
    """A component that hangs (sleeps far past any budget) and swallows ordinary exceptions."""

    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.seconds = 30.0

    def __call__(self, doc: Doc) -> None:
        with contextlib.suppress(Exception):  # a careless component must not be able to hide the timeout
            time.sleep(self.seconds)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    ex = Extractor(NlpConfig(use_spacy=False))
    ex.extract(MSG)  # warm: lazily loaded data must not eat the budget below
    ex.config = NlpConfig(use_spacy=False, time_budget_seconds=1.0)
    names = [name for name, _ in ex.components]
    ex.components.insert(names.index("request_type"), ("test_sleeper", build("test_sleeper", ex.config, {})))
    return ex


def test_hung_component_is_interrupted_and_earlier_work_kept(extractor: Extractor) -> None:
    started = time.monotonic()
    result = extractor.extract(MSG)
    assert time.monotonic() - started < 5
    assert result.truncated
    assert any(e == "time budget of 1s exceeded in test_sleeper" for e in result.errors)
    assert result.texts.get("subject") == "Preservation request"  # the text component ran
    assert result.request_type is None  # components after the hung one were skipped


def test_timer_and_handler_are_restored(extractor: Extractor) -> None:
    def mine(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        extractor.extract(MSG)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 50 < left <= 60
        assert signal.getsignal(signal.SIGALRM) is mine
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_the_budget_is_checked_between_components(extractor: Extractor) -> None:
    sleeper = next(c for n, c in extractor.components if n == "test_sleeper")
    assert isinstance(sleeper, Sleeper)
    sleeper.seconds = 1.5
    out: list[Any] = []
    try:
        worker = threading.Thread(target=lambda: out.append(extractor.extract(MSG)))
        worker.start()
        worker.join(10)
    finally:
        sleeper.seconds = 30.0
    [result] = out
    assert result.truncated
    assert any(e.startswith("time budget of 1s exceeded before ") for e in result.errors)


def test_a_disarmed_budget_does_not_fire() -> None:
    with hard_budget(0.2) as armed:
        assert armed
    time.sleep(0.3)  # nothing raised after the block: the timer was cancelled
    with pytest.raises(TimeBudgetExceeded), hard_budget(0.1):
        time.sleep(2)


def test_an_unbounded_call_is_never_cut(extractor: Extractor) -> None:
    sleeper = next(c for n, c in extractor.components if n == "test_sleeper")
    assert isinstance(sleeper, Sleeper)
    sleeper.seconds = 1.5
    try:
        result = extractor.extract(MSG, budget=math.inf)  # the daemon's warm-up: model loading may be slow
    finally:
        sleeper.seconds = 30.0
    assert not any(e.startswith("time budget") for e in result.errors)
    assert result.request_type is not None
