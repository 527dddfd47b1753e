"""When not to answer, and what a mail is: the stateless rules of the auto-reply checklist.

``RULES`` is the policy as a table, numbered like the checklist (3a) it implements: each rule
is a small function that reads a parsed mail and returns a finding (a reason, and the mail
class the finding implies) or None. The stateful rules (rate limit, follow-up, old mail,
already acknowledged, sender gate) live in :mod:`triage.replies.policy`. Header names, system
addresses and subject prefixes are data, in ``data/*.json``.
"""

from __future__ import annotations

import email
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from functools import cache
from pathlib import Path
from typing import Any

from triage.parse import ParsedMail
from triage.replies.addresses import (
    base_address,
    is_own_address,
    is_system_address,
    local_part,
    own_bases,
    return_path,
)
from triage.replies.bounces import bounce_kind, bounce_original_ids
from triage.replies.msgid import is_our_message_id
from triage.replies.recent import Recent, rule_inputs
from triage.settings import Settings

__all__ = ["RULES", "bounce_original_ids", "classify", "classify_detail", "classify_with_reasons",
           "header_no_reply_reasons", "is_system_address"]

DATA = Path(__file__).resolve().parent / "data"
AUTHRES_RE = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)", re.IGNORECASE)

# The classes of 3c, from most to least specific; the first that any fired rule implies wins.
DETAIL_PRIORITY = (
    "loop_self",
    "bounce_permanent",
    "bounce_transient",
    "out_of_office",
    "auto_reply",
    "list",
    "spam_or_unauthenticated",
)
# 3c's detailed classes folded onto store.models.MAIL_CLASSES.
STORED_CLASS = {
    "human": "human",
    "auto_reply": "auto_reply",
    "out_of_office": "auto_reply",
    "bounce_permanent": "bounce",
    "bounce_transient": "bounce",
    "list": "list",
    "loop_self": "loop_self",
    "spam_or_unauthenticated": "spam",
}


@dataclass(frozen=True)
class Finding:
    """Why a rule fired, and the class of mail it implies (None: it says nothing of the class)."""

    reason: str
    mail_class: str | None = None


@dataclass(frozen=True)
class Rule:
    number: str
    name: str
    check: Callable[[ParsedMail, Settings], Finding | None]


@cache
def _data(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def _clean(value: str) -> str:
    """Header value trimmed, inner whitespace and newlines collapsed, lowercased."""
    return " ".join(value.split()).lower()


def _token(value: str) -> str:
    """The keyword before any ``;`` parameter or ``(comment)``: 'auto-replied (vacation)' -> 'auto-replied'."""
    return re.split(r"[;(\s]", _clean(value), maxsplit=1)[0]


def _values(parsed: ParsedMail, name: str) -> list[str]:
    return [_clean(v) for v in parsed.header(name)]


def _content_type_params(parsed: ParsedMail) -> tuple[str, dict[str, str]]:
    value = parsed.first("Content-Type") or "text/plain"
    if value.splitlines() == [value]:  # one line: what parsing "Content-Type: <value>" would store, without parsing
        msg = Message()
        msg["Content-Type"] = value.lstrip(" \t")
    else:  # folded, or with line breaks of any kind: the parser decides what the header holds
        msg = email.message_from_string(f"Content-Type: {value}\n\n")
    params = {str(k).lower(): str(v).lower() for k, v in (msg.get_params() or [])[1:]}
    return msg.get_content_type(), params


# --- the rules (3a). Each returns a Finding when mail must not be answered.


def rule_auto_submitted(parsed: ParsedMail, settings: Settings) -> Finding | None:
    for value in parsed.header("Auto-Submitted"):
        token = _token(value)
        if token and token != "no":
            ooo = token in _data("headers")["out_of_office_auto_submitted"]
            return Finding(f"auto-submitted: {token}", "out_of_office" if ooo else "auto_reply")
    return None


def rule_list_headers(parsed: ParsedMail, settings: Settings) -> Finding | None:
    for name in _data("headers")["list_headers"]:
        if parsed.header(name):
            return Finding(f"mailing list header: {name}", "list")
    return None


def rule_precedence(parsed: ParsedMail, settings: Settings) -> Finding | None:
    implied = {"junk": "spam_or_unauthenticated", "auto_reply": "auto_reply"}
    for name in _data("headers")["precedence_headers"]:
        for value in parsed.header(name):
            token = _token(value)
            if token in _data("headers")["precedence_values"]:
                return Finding(f"precedence: {token}", implied.get(token, "list"))
    return None


def rule_response_suppress(parsed: ParsedMail, settings: Settings) -> Finding | None:
    wanted = set(_data("headers")["suppress_tokens"])
    for value in parsed.header("X-Auto-Response-Suppress"):
        tokens = {t.strip().lower() for t in value.split(",")}
        hit = sorted(tokens & wanted)
        if hit:
            return Finding(f"x-auto-response-suppress: {', '.join(hit)}")  # a request, not a class
    return None


def rule_vendor_autoreply(parsed: ParsedMail, settings: Settings) -> Finding | None:
    data = _data("headers")
    for name in data["vendor_autoreply_present"]:
        if parsed.header(name):
            return Finding(f"auto-reply header: {name}", "auto_reply")
    for name, wanted in data["vendor_autoreply_values"].items():
        for value in _values(parsed, name):
            if any(value == w or value.startswith(w + "@") for w in wanted):
                return Finding(f"auto-reply header: {name}: {value}", "auto_reply")
    return None


def rule_out_of_office(parsed: ParsedMail, settings: Settings) -> Finding | None:
    for name in _data("headers")["exchange_oof_headers"]:
        if parsed.header(name):
            return Finding(f"out of office: {name}", "out_of_office")
    subject = _clean(parsed.subject)
    if any(subject.startswith(p) for p in _data("subjects")["out_of_office"]):
        return Finding("out of office: automatic-reply subject", "out_of_office")
    return None


def rule_null_sender(parsed: ParsedMail, settings: Settings) -> Finding | None:
    if return_path(parsed) == "":
        return Finding("null return path <>", "auto_reply")
    if "@" not in parsed.from_address:
        return Finding("no usable sender address")
    return None


def rule_system_address(parsed: ParsedMail, settings: Settings) -> Finding | None:
    for address in (parsed.from_address, return_path(parsed) or ""):
        if address and is_system_address(address):
            return Finding(f"system sender: {local_part(address)}", "auto_reply")
    return None


def rule_report(parsed: ParsedMail, settings: Settings) -> Finding | None:
    data = _data("headers")
    ctype, params = _content_type_params(parsed)
    report_type = params.get("report-type", "")
    if ctype == "multipart/report" and report_type == "disposition-notification":
        return Finding("read receipt (disposition-notification)", "auto_reply")
    if ctype == "multipart/report" or ctype in data["report_content_types"]:
        return Finding(f"delivery report ({report_type or ctype})", bounce_kind(parsed))
    if parsed.header("X-Failed-Recipients"):
        return Finding("delivery report (X-Failed-Recipients)", bounce_kind(parsed))
    subject = _clean(parsed.subject)
    if any(subject.startswith(p) for p in _data("subjects")["bounce"]):
        return Finding("bounce subject", bounce_kind(parsed))
    return None


def rule_own_loop(parsed: ParsedMail, settings: Settings) -> Finding | None:
    ours = own_bases(settings)
    for name in _data("headers")["loop_headers"]:
        for value in _values(parsed, name):
            if value and ({base_address(a) for _, a in getaddresses([value])} & ours or "le-triage" in value):
                return Finding(f"our loop header: {name}", "loop_self")
    if parsed.message_id and is_our_message_id(settings, parsed.message_id):
        return Finding("our own Message-ID came back", "loop_self")
    bulk = any(_token(v) in ("bulk", "junk", "list", "auto_reply") for v in parsed.header("Precedence"))
    if bulk and any(is_our_message_id(settings, m) for m in parsed.in_reply_to + parsed.references):
        return Finding("bulk reply to our own Message-ID", "auto_reply")
    return None


def rule_own_sender(parsed: ParsedMail, settings: Settings) -> Finding | None:
    if is_own_address(settings, parsed.from_address):
        return Finding(f"sender is our own address: {parsed.from_address}", "loop_self")
    rp = return_path(parsed)
    if rp and is_own_address(settings, rp):
        return Finding(f"return path is our own address: {rp}", "loop_self")
    return None


def rule_not_addressed_to_us(parsed: ParsedMail, settings: Settings) -> Finding | None:
    if not settings.our_addresses():
        return None  # nothing to compare with: do not guess
    values = [v for name in _data("headers")["recipient_headers"] for v in parsed.header(name)]
    recipients = [a for _, a in getaddresses(values) if "@" in a]
    if any(is_own_address(settings, a) for a in recipients):
        return None
    return Finding("none of our addresses in To/Cc/Bcc/Resent-*")


def _trusted_auth_results(parsed: ParsedMail, settings: Settings) -> dict[str, str] | None:
    """Results of the top-most Authentication-Results, only when our own MTA wrote it."""
    values = parsed.header("Authentication-Results")
    trusted = settings.trusted_authserv_id.strip().lower()
    if not values or not trusted:
        return None
    top = values[0]
    authserv = _clean(top.split(";", 1)[0]).split(" ")[0]
    if authserv != trusted:
        return None  # forged further down the chain, or not ours: ignore
    results: dict[str, str] = {}
    for method, result in AUTHRES_RE.findall(top.split(";", 1)[1] if ";" in top else ""):
        results.setdefault(method.lower(), result.lower())
    return results


def rule_spam_or_unauthenticated(parsed: ParsedMail, settings: Settings) -> Finding | None:
    for name, wanted in _data("headers")["spam_flag_headers"].items():
        if any(_token(v) in wanted for v in parsed.header(name)):
            return Finding(f"spam flag: {name}", "spam_or_unauthenticated")
    results = _trusted_auth_results(parsed, settings)
    if results is None:
        return None
    if results.get("dmarc") == "fail":
        return Finding("authentication failed: dmarc=fail", "spam_or_unauthenticated")
    spf_bad = results.get("spf") in ("fail", "softfail")
    dkim_bad = results.get("dkim", "none") in ("fail", "none", "neutral", "policy", "permerror")
    if spf_bad and dkim_bad:
        return Finding("authentication failed: spf and dkim", "spam_or_unauthenticated")
    return None


RULES: tuple[Rule, ...] = (
    Rule("1", "auto-submitted", rule_auto_submitted),
    Rule("2", "mailing-list headers", rule_list_headers),
    Rule("3", "precedence bulk/junk/list", rule_precedence),
    Rule("4", "x-auto-response-suppress", rule_response_suppress),
    Rule("5", "vendor auto-reply markers", rule_vendor_autoreply),
    Rule("6", "out of office", rule_out_of_office),
    Rule("7", "null or missing sender", rule_null_sender),
    Rule("8", "system address", rule_system_address),
    Rule("9", "delivery or read report", rule_report),
    Rule("10", "our own loop", rule_own_loop),
    Rule("11", "our own sender", rule_own_sender),
    Rule("12", "not addressed to us", rule_not_addressed_to_us),
    Rule("13", "spam or failed authentication", rule_spam_or_unauthenticated),
)


_RECENT = Recent()


def findings(parsed: ParsedMail, settings: Settings) -> list[Finding]:
    """Every stateless rule that fires, in table order (run once per mail and settings, see ``recent``)."""
    key = rule_inputs(parsed, settings)
    found: tuple[Finding, ...] | None = _RECENT.get(key)
    if found is None:
        found = tuple(f for f in (rule.check(parsed, settings) for rule in RULES) if f is not None)
        _RECENT.put(key, found)
    return list(found)


def header_no_reply_reasons(parsed: ParsedMail, settings: Settings) -> list[str]:
    """Every stateless rule that forbids an automatic reply, each as a short reason."""
    return [f.reason for f in findings(parsed, settings)]


def detail_class(found: list[Finding]) -> str:
    """The 3c class the findings imply, the most specific first; "human" when none implies one."""
    implied = {f.mail_class for f in found if f.mail_class}
    return next((c for c in DETAIL_PRIORITY if c in implied), "human")


def classify_detail(parsed: ParsedMail, settings: Settings) -> str:
    """The 3c class: human, auto_reply, out_of_office, bounce_*, list, loop_self, spam_or_unauthenticated."""
    return detail_class(findings(parsed, settings))


def classify(parsed: ParsedMail, settings: Settings) -> str:
    """The stored class (store.models.MAIL_CLASSES) of an inbound mail."""
    return STORED_CLASS[classify_detail(parsed, settings)]


def classify_with_reasons(parsed: ParsedMail, settings: Settings) -> tuple[str, list[str]]:
    """``classify`` and ``header_no_reply_reasons`` from one look-up of the findings."""
    found = findings(parsed, settings)
    return STORED_CLASS[detail_class(found)], [f.reason for f in found]
