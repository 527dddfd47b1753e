"""An outgoing text/plain message written straight to RFC 5322 bytes.

``EmailMessage`` with a modern policy parses every header it is given through the header
registry and then folds it again: ~2 ms of the ~3 ms an acknowledgment cost to compose. Our
messages are one text part with headers we build ourselves, so they are written directly:
ASCII values folded at spaces, non-ASCII values as RFC 2047 encoded words (``email.header``),
the body 7bit/8bit when its lines are short, else quoted-printable or base64, whichever is
shorter (the choice ``EmailMessage.set_content`` makes). CRLF line ends throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import base64mime, quoprimime
from email.header import Header

MAX_LINE = 78  # RFC 5322's recommended line length, as the SMTP policy folds
CRLF = "\r\n"
CONTENT_TYPE = 'text/plain; charset="utf-8"'


@dataclass(frozen=True)
class Outgoing:
    """A composed message: its headers (decoded values, in order), its text and its wire bytes."""

    headers: list[tuple[str, str]]
    text: str
    raw: bytes

    def get(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


def _fold_ascii(name: str, value: str) -> str:
    """``Name: value`` folded before spaces so no line passes MAX_LINE (unfolding restores the value)."""
    line = f"{name}: {value}"
    if len(line) <= MAX_LINE:
        return line
    out: list[str] = []
    current = f"{name}:"
    for word in value.split(" "):
        if len(current) + 1 + len(word) > MAX_LINE and current.strip() and not current.endswith(":"):
            out.append(current)
            current = ""
        current += " " + word
    out.append(current)
    return CRLF.join(out)


def _plain(word: str) -> bool:
    return word.isascii() and "=?" not in word


def _encoded_words(text: str) -> list[str]:
    """``text`` as RFC 2047 encoded words of at most 75 characters each."""
    return Header(text, "utf-8", maxlinelen=75).encode(linesep="\n").split("\n ")


def _words(value: str) -> list[str]:
    """The value's words, each run of non-ASCII words (with the spaces inside it) as encoded words.

    Plain ASCII words stay readable ('[LE-2026-000123]' is found in the raw bytes); a word that
    looks like an encoded word is encoded too, so a reader shows the text given, not what a
    crafted ``=?...?=`` in it would decode to.
    """
    tokens: list[str] = []
    run: list[str] = []
    for word in value.split(" "):
        if not _plain(word) or (run and word == ""):
            run.append(word)
            continue
        if run:
            tokens += _encoded_words(" ".join(run))
            run = []
        tokens.append(word)
    if run:
        tokens += _encoded_words(" ".join(run))
    return tokens


def header_line(name: str, value: str) -> str:
    """One header field, folded; non-ASCII words as RFC 2047 encoded words."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {name} may not contain a line break")
    return _fold_ascii(name, value if _plain(value) else " ".join(_words(value)))


def address_line(name: str, display: str, address: str) -> str:
    """``Name: display <address>``: the display name quoted when it holds specials, encoded when not ASCII."""
    if not display or not _plain(address) or "\r" in display or "\n" in display:
        return header_line(name, f"{display} <{address}>" if display else address)
    if _plain(display):
        specials = any(c in display for c in '()<>@,:;.\\"[]')
        shown = '"{}"'.format(display.replace("\\", "\\\\").replace('"', '\\"')) if specials else display
    else:
        shown = " ".join(_encoded_words(display))
    return _fold_ascii(name, f"{shown} <{address}>")


def encode_body(text: str) -> tuple[str, str, bytes]:
    """(Content-Transfer-Encoding, the text as a reader decodes it, the body's wire bytes)."""
    lines = text.encode("utf-8").splitlines()
    decoded = b"\n".join(lines).decode("utf-8") + "\n"
    plain = b"\r\n".join(lines) + b"\r\n"
    if max((len(x) for x in lines), default=0) <= MAX_LINE:
        return ("7bit" if plain.isascii() else "8bit"), decoded, plain
    qp = quoprimime.body_encode(plain.decode("latin-1"), 76, eol=CRLF)
    if len(qp) > base64_length(len(plain)):  # base64 only encoded when it wins (acks: quoted-printable does)
        return "base64", decoded, base64mime.body_encode(plain, 76, eol=CRLF).encode("ascii")
    return "quoted-printable", decoded, (qp if qp.endswith(CRLF) else qp + CRLF).encode("ascii")


def base64_length(size: int, maxlinelen: int = 76, eol: str = CRLF) -> int:
    """``len(base64mime.body_encode(data, maxlinelen, eol))`` for ``size`` bytes, without encoding them:
    each line holds the base64 of ``maxlinelen * 3 // 4`` bytes (4 characters per 3 bytes, padded)."""
    per_line = maxlinelen * 3 // 4
    full, rest = divmod(size, per_line)
    last = 4 * -(-rest // 3) + len(eol) if rest else 0
    return full * (4 * -(-per_line // 3) + len(eol)) + last


def compose(headers: list[tuple[str, str]], text: str, language: str | None = None,
            from_display: tuple[str, str] | None = None) -> Outgoing:
    """The message of ``headers`` (From first when ``from_display`` names it) and the text body.

    ``from_display``: (display name, address) of the From header, written with its display name
    encoded on its own; the header list keeps the readable ``Name <address>`` form.
    """
    cte, decoded, body = encode_body(text)
    fields = [*headers, ("Content-Type", CONTENT_TYPE), ("Content-Transfer-Encoding", cte), ("MIME-Version", "1.0")]
    if language:
        fields.append(("Content-Language", language))
    lines = []
    for name, value in fields:
        if from_display is not None and name == "From":
            lines.append(address_line(name, *from_display))
        else:
            lines.append(header_line(name, value))
    raw = (CRLF.join(lines) + CRLF + CRLF).encode("ascii") + body
    return Outgoing(headers=fields, text=decoded, raw=raw)
