"""Plain typed inputs and results of the extractor.

``triage`` builds a :class:`MessageInput` from a parsed mail and maps the returned
:class:`Extraction` onto ``store`` models; ``nlp`` knows nothing of either.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Source = Literal["subject", "body", "signature", "quote", "forward", "attachment", "header", "sender_domain"]

FIELDS = (
    "language",
    "agency",
    "country",
    "region",
    "request_type",
    "emergency",
    "deadline",
    "statutory_deadline",
    "case_reference",
    "legal_basis",
    "targets",
    "non_disclosure",
    "sender_verified",
)


@dataclass(frozen=True)
class Attachment:
    """An attachment as received: name, declared type and decoded bytes."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MessageInput:
    """What the extractor reads of one message. Header values are already RFC 2047-decoded."""

    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    date: datetime | None = None
    received_at: datetime | None = None

    def header(self, name: str) -> list[str]:
        """All values of header ``name`` (case-insensitive), top-most first."""
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]


@dataclass(frozen=True)
class Evidence:
    """Where a value was read: the exact text, its source and its offsets in that source's text."""

    text: str
    source: Source
    start: int | None = None
    end: int | None = None
    rule: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``dataclasses.asdict`` of this flat record, without its recursive copying (evidence is most of a result)."""
        return {"text": self.text, "source": self.source, "start": self.start, "end": self.end, "rule": self.rule}


@dataclass(frozen=True)
class Signal:
    """A sender-risk finding, in plain words for a reviewer."""

    code: str  # e.g. freemail, lookalike_domain, auth_fail, reply_to_mismatch, urgency_unverified
    message: str
    severity: Literal["info", "warning", "high"] = "warning"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Extraction:
    """Everything extracted from one message; unknown is None, never a guess."""

    language: str | None = None
    agency: str | None = None
    country: str | None = None
    region: str | None = None
    request_type: str | None = None
    emergency: bool = False
    deadline: date | None = None
    statutory_deadline: datetime | None = None
    case_reference: str | None = None
    legal_basis: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    non_disclosure: bool = False
    sender_verified: bool | None = None
    # presence of request elements a reviewer needs that are not fields of their own:
    # named_official, data_categories, date_range, emergency_justification
    elements: dict[str, bool] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    signals: list[Signal] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # source name -> prepared text (offsets refer here)
    errors: list[str] = field(default_factory=list)
    truncated: bool = False

    def add_evidence(self, name: str, ev: Evidence) -> None:
        self.evidence.setdefault(name, []).append(ev)

    def to_json(self) -> dict[str, Any]:
        """The SCHEMA.md label keys plus evidence, confidence and signals, JSON-ready."""
        out: dict[str, Any] = {
            "language": self.language,
            "agency": self.agency,
            "country": self.country,
            "region": self.region,
            "request_type": self.request_type,
            "emergency": self.emergency,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "statutory_deadline": self.statutory_deadline.isoformat() if self.statutory_deadline else None,
            "case_reference": self.case_reference,
            "legal_basis": list(self.legal_basis),
            "targets": list(self.targets),
            "non_disclosure": self.non_disclosure,
            "sender_verified": self.sender_verified,
            "elements": dict(self.elements),
            "evidence": {k: [e.to_json() for e in v] for k, v in self.evidence.items()},
            "confidence": dict(self.confidence),
            "signals": [asdict(s) for s in self.signals],
            "errors": list(self.errors),
        }
        return out


@dataclass(frozen=True)
class NlpConfig:
    """Extractor options, taken from triage's settings by the caller."""

    trusted_authserv_id: str = "mx1.platform.example"
    use_spacy: bool = True
    max_text_chars: int = 200_000
    time_budget_seconds: float = 10.0
