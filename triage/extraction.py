"""Bridge to ``nlp``: build the extractor from settings, run it safely on a parsed mail."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nlp.extractor import Extractor
from nlp.types import Extraction, MessageInput, NlpConfig
from triage.settings import Settings

if TYPE_CHECKING:  # the extraction worker reads prepared input only: it never imports the parser
    from triage.parse import ParsedMail

log = logging.getLogger(__name__)


def build_extractor(settings: Settings) -> Extractor:
    """One extractor per process: loads gazetteers and models once."""
    return Extractor(
        NlpConfig(
            trusted_authserv_id=settings.trusted_authserv_id,
            use_spacy=settings.use_spacy,
            max_text_chars=settings.max_text_chars,
        )
    )


def extract_parsed(extractor: Extractor, parsed: ParsedMail) -> Extraction:
    """Extraction of a parsed mail that never raises (see ``safe_extract``)."""
    return safe_extract(extractor, parsed.to_input())


def safe_extract(extractor: Extractor, msg: MessageInput) -> Extraction:
    """Extraction that never raises: a failure becomes an empty result with the error stated."""
    try:
        return extractor.extract(msg)
    except Exception as exc:
        log.exception("extraction failed")
        result = Extraction()
        result.errors.append(f"extraction failed: {type(exc).__name__}: {exc}")
        return result
