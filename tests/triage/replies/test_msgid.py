"""Our Message-IDs: signed, recognized, carrying the reference; forgeries and other keys refused."""

from __future__ import annotations

import re

from triage.replies.msgid import is_our_message_id, new_message_id, reference_from_message_id
from triage.settings import Settings, load_settings


def test_round_trip(plain_settings: Settings) -> None:
    mid = new_message_id(plain_settings, "LE-2026-000123")
    assert re.fullmatch(r"<le\.[a-z2-7]+\.[a-z2-7]+@platform\.example>", mid)
    assert "LE-2026-000123" not in mid  # opaque: the reference is not readable in the header
    assert is_our_message_id(plain_settings, mid)
    assert reference_from_message_id(plain_settings, mid) == "LE-2026-000123"
    # without brackets, other case, surrounding spaces: still ours
    assert reference_from_message_id(plain_settings, f"  {mid.upper()} ") == "LE-2026-000123"


def test_ids_are_fresh(plain_settings: Settings) -> None:
    ids = {new_message_id(plain_settings, "LE-2026-000001") for _ in range(50)}
    assert len(ids) == 50


def test_another_secret_does_not_recognize_them(plain_settings: Settings) -> None:
    mid = new_message_id(plain_settings, "LE-2026-000123")
    other = load_settings(database_url="sqlite://", secret_key="another-secret")
    assert not is_our_message_id(other, mid)
    assert reference_from_message_id(other, mid) is None


def test_tampering_is_detected(plain_settings: Settings) -> None:
    mid = new_message_id(plain_settings, "LE-2026-000123")
    _, payload, sig_domain = mid.strip("<>").split(".", 2)
    sig = sig_domain.split("@")[0]
    flipped = payload[:-1] + ("a" if payload[-1] != "a" else "b")
    assert not is_our_message_id(plain_settings, f"<le.{flipped}.{sig}@platform.example>")
    assert not is_our_message_id(plain_settings, "<le.abc.def@platform.example>")
    assert not is_our_message_id(plain_settings, "<CAF=xyz@mail.gmail.com>")
    assert not is_our_message_id(plain_settings, "")


def test_ids_without_a_reference(plain_settings: Settings) -> None:
    mid = new_message_id(plain_settings, "")
    assert is_our_message_id(plain_settings, mid)
    assert reference_from_message_id(plain_settings, mid) is None
