"""Fixtures shared by the nlp tests."""

from __future__ import annotations

import pytest

from nlp.extractor import Extractor
from nlp.types import NlpConfig


@pytest.fixture(scope="session")
def full_extractor() -> Extractor:
    """The default extractor (every component, spaCy NER when installed), built once per run.

    Loading the statistical pipelines costs seconds per build; ``extract`` keeps no state
    between messages, so the tests that need the whole pipeline share this one.
    """
    return Extractor(NlpConfig())
