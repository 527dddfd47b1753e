"""Write ``generated.jsonl`` from the sentence pools in ``templates.json``: ``python nlp/data/train/generate.py``.

Why: the hand-written examples teach the classifier the core phrasing; recombining subjects, context
and asks across classes (fraud teams, past deaths, status questions) adds the variety that keeps the
bag-of-words model from keying on one word. Deterministic (fixed seed), so the file is reproducible.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 16
PER_CLASS = {"en": 30}  # English mail dominates the mailbox; other languages get DEFAULT_PER_CLASS
DEFAULT_PER_CLASS = 12
ACCOUNTS = ("@night_rider_77", "@luna.shop", "user 5820193377", "@quick_cash_deals", "the profile @marta_v",
            "@anon_truth", "the account sk8r_boi", "@verkauf_24", "@xx_dark_angel", "@promo.oficial")
REFS = ("2026/0412", "CR-88213", "Az. 41 Js 118/26", "PV 2231/2026", "DIL-553/26")


def compose(rng: random.Random, pools: dict[str, Any], lang_pools: dict[str, Any]) -> str:
    """A subject, then a short body: greeting, one or two context sentences, one or two asks, closing."""
    acct, ref = rng.choice(ACCOUNTS), rng.choice(REFS)
    parts = [rng.choice(pools["subject"]), rng.choice(lang_pools["greet"])]
    parts += rng.sample(pools["context"], k=min(len(pools["context"]), rng.choice((1, 1, 2))))
    parts += rng.sample(pools["ask"], k=min(len(pools["ask"]), rng.choice((1, 2))))
    parts.append(rng.choice(lang_pools["close"]))
    text = " ".join(p for p in parts if p)
    return text.replace("{acct}", acct).replace("{ref}", ref)


def generate(templates: dict[str, Any]) -> list[dict[str, str]]:
    rng = random.Random(SEED)
    rows: list[dict[str, str]] = []
    for lang, lang_pools in templates.items():
        if lang.startswith("_"):
            continue
        for label, pools in lang_pools.items():
            if label in ("greet", "close"):
                continue
            seen: set[str] = set()
            for _ in range(PER_CLASS.get(lang, DEFAULT_PER_CLASS) * 3):
                text = compose(rng, pools, lang_pools)
                if text not in seen:
                    seen.add(text)
                    rows.append({"text": text, "label": label, "language": lang, "origin": "generated"})
                if len(seen) >= PER_CLASS.get(lang, DEFAULT_PER_CLASS):
                    break
    return rows


def main() -> int:
    templates = json.loads((HERE / "templates.json").read_text(encoding="utf-8"))
    rows = generate(templates)
    out = HERE / "generated.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} examples written to {out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
