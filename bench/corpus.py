"""Generate varied, realistic benchmark messages from the project's own templates.

Deterministic for a seed. Sizes vary (some messages carry a PDF-like attachment of tens of
kilobytes), languages and request types follow ``templates/requests.jsonl``.
"""

from __future__ import annotations

import json
import random
import unicodedata
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates") / "requests.jsonl"
FIRST = ["Dana", "Pierre", "Lukas", "Lucía", "Marco", "Anouk", "Tomasz", "João", "Grace", "Amira"]
LAST = ["Kessler", "Moreau", "Bauer", "García", "Rossi", "de Vries", "Nowak", "Silva", "Okafor", "Haddad"]
AUTH = (
    "mx1.platform.example; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain};"
    " dmarc=pass header.from={domain}"
)


def _ascii(text: str) -> str:
    """Mailbox names as authorities have them: accents folded (Lucía García -> lgarcia)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def load_templates() -> list[dict[str, str]]:
    return [json.loads(line) for line in TEMPLATES.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_message(i: int, rng: random.Random, templates: list[dict[str, str]], to: str) -> bytes:
    t = templates[i % len(templates)]
    first, last = rng.choice(FIRST), rng.choice(LAST)
    values = {
        "first": first, "last": last, "local": _ascii(f"{first[0]}{last}".lower().replace(" ", "")),
        "caseno": f"2026-{rng.randint(1000, 99999)}",
        "user": f"@user_{rng.randint(1, 10**6)}",
        "uid": str(rng.randint(10**8, 10**10)),
        "chan": f"chan{rng.randint(1, 99999)}",
        "post": str(rng.randint(1, 999)),
        "nn": f"{rng.randint(0, 99):02d}", "nnn": f"{rng.randint(0, 999):03d}",
    }
    msg = EmailMessage()
    sender = t["from"].format(**values)
    domain = sender.rsplit("@", 1)[1].rstrip(">")
    when = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i)
    msg["Received"] = f"from mail.{domain} by mx1.platform.example; {format_datetime(when)}"
    msg["Authentication-Results"] = AUTH.format(domain=domain)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = t["subject"].format(**values)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(f"b{i}", domain=domain)
    msg.set_content(t["body"].format(**values))
    if rng.random() < 0.2:
        blob = rng.randbytes(rng.randint(5_000, 80_000))
        msg.add_attachment(blob, maintype="application", subtype="pdf", filename=f"request_{values['caseno']}.pdf")
    return msg.as_bytes()


def generate(n: int, seed: int = 7, to: str = "lawenforcement@platform.example") -> list[bytes]:
    """``n`` raw messages, the same ones for the same seed."""
    rng = random.Random(seed)
    templates = load_templates()
    return [make_message(i, rng, templates, to) for i in range(n)]


def write_dir(n: int, out: Path, seed: int = 7) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, raw in enumerate(generate(n, seed)):
        p = out / f"bench{i:05d}.eml"
        p.write_bytes(raw)
        paths.append(p)
    return paths
