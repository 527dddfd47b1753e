"""Pipeline component `text`: prepare the texts every other component reads.

Fills ``doc.texts`` with these keys (evidence offsets refer to these strings):

- ``subject``: the subject line;
- ``body``: the new text of the message. When the new text is thin (empty, "see below",
  a certified-mail wrapper), the body of the forwarded/attached original and the text of
  attached documents are appended to it, so that readers of ``doc.main_text()`` still find
  the request (``doc.cache["promoted"]`` then lists what was appended);
- ``signature``: sign-off, signature block and legal footers (kept: agencies sign there);
- ``quote``: quoted earlier messages of a reply;
- ``forward``: forwarded messages and attached e-mails (message/rfc822), often the original;
- ``attachment``: attachment file names (one a line, they carry case numbers) then the text
  of PDF/DOCX/plain attachments.

Empty parts are left out. The total is capped at ``config.max_text_chars``.
"""

from __future__ import annotations

from typing import Any

from nlp.attachtext import load_readers, read_attachments
from nlp.htmltext import html_to_text
from nlp.registry import Doc, register
from nlp.textsplit import Parts, says_see_below, split_body, strip_forward_header
from nlp.types import MessageInput, NlpConfig

# When capping, the parts most likely to hold the request keep their text first.
CAP_ORDER = ("subject", "body", "signature", "forward", "attachment", "quote")


MAX_TAIL_LINES = 15


def _norm_line(line: str) -> str:
    return " ".join(line.split()).lower()


def html_only_tail(plain: str, converted: str) -> str:
    """Lines after the end of the plain text that only the HTML part has.

    Mail clients often render the signature (a table with name, rank, unit) in the HTML
    alternative only; the plain part then ends at "Thank you,".
    """
    known = {_norm_line(line) for line in plain.splitlines() if line.strip()}
    lines = converted.splitlines()
    shared = [i for i, line in enumerate(lines) if line.strip() and _norm_line(line) in known]
    if not shared:
        return ""
    tail = [line.strip() for line in lines[shared[-1] + 1 :] if line.strip()]
    return "\n".join(tail) if len(tail) <= MAX_TAIL_LINES else ""


def raw_body(msg: MessageInput) -> str:
    """The plain body, or the HTML body converted, whichever says more."""
    plain = (msg.text or "").strip()
    converted = html_to_text(msg.html) if msg.html else ""
    if not plain:
        return converted
    # some senders put a stub ("view in browser") in the plain part
    if converted and len(converted) > 3 * len(plain) + 200:
        return converted
    tail = html_only_tail(plain, converted) if converted else ""
    return f"{plain}\n{tail}" if tail else plain


def _promote(parts: Parts, forwarded: Parts | None, documents: list[str], promoted: list[str]) -> None:
    """Append the original's body (and documents) to a thin new text."""
    extra: list[str] = []
    if forwarded is not None and forwarded.body:
        extra.append(forwarded.body)
        promoted.append("forward")
        if forwarded.signature:
            parts.signature = "\n\n".join(s for s in (parts.signature, forwarded.signature) if s)
    if documents:
        extra.extend(documents)
        promoted.append("attachment")
    if extra:
        parts.body = "\n\n".join(t for t in (parts.body, *extra) if t)


def cap_texts(texts: dict[str, str], limit: int) -> bool:
    """Trim ``texts`` in place to ``limit`` characters in total; True when something was cut."""
    budget = limit
    cut = False
    for key in CAP_ORDER:
        if key not in texts:
            continue
        if len(texts[key]) > budget:
            texts[key] = texts[key][: max(budget, 0)]
            cut = True
        budget -= len(texts[key])
    for key in [k for k, v in texts.items() if not v]:
        del texts[key]
    return cut


@register("text")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        load_readers()

    def __call__(self, doc: Doc) -> None:
        msg = doc.msg
        parts = split_body(raw_body(msg), msg.subject)
        att = read_attachments(msg.attachments)
        doc.cache["attachment_errors"] = att.errors
        forwards = [parts.forward, *att.messages]
        forward_text = "\n\n".join(f for f in forwards if f.strip())
        promoted: list[str] = []
        if says_see_below(parts.body):
            original = split_body(strip_forward_header(forward_text)) if forward_text else None
            _promote(parts, original, att.texts, promoted)
        attachment_text = "\n".join([*att.names, *att.texts])
        texts = {
            "subject": msg.subject.strip(),
            "body": parts.body,
            "signature": parts.signature,
            "quote": parts.quote,
            "forward": forward_text,
            "attachment": attachment_text,
        }
        if cap_texts(texts, self.config.max_text_chars):
            doc.result.truncated = True
            doc.result.errors.append(f"text capped at {self.config.max_text_chars} characters")
        doc.texts.update(texts)
        doc.cache["promoted"] = promoted
