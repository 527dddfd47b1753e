"""Extraction of who asks, from where, for what, by when, from a law-enforcement email.

Entry point: :class:`nlp.extractor.Extractor` (build once per process, then ``extract``).
"""

from nlp.types import Attachment, Evidence, Extraction, MessageInput, NlpConfig, Signal

__all__ = ["Attachment", "Evidence", "Extraction", "MessageInput", "NlpConfig", "Signal"]
