"""Pipeline component `request_type`: what the sender asks for, and whether lives are at stake.

Two signals are combined: weighted rules (legal citations and signal phrases in several languages,
``data/request_types/rules.jsonl``) and the trained text classifier. A citation weighs more than
the classifier can, so "2703(f)" makes a preservation request whatever the wording around it; one
generic phrase ("request for information"), even in the subject, does not outvote a confident classifier.
Emergency wording (``emergency.jsonl``) counts only in the sender's own text, not when negated and not
when it names a past event ("overdose death investigation"); an emergency guessed by an unsure
classifier alone, or by "urgent request" wording alone, with no danger stated, is not declared.
A content-removal order describes the content to remove ("a call to kill the mayor"): only signals about
the order itself (``removal_emergency.jsonl``: hour-scale removal clocks, a life at risk) make it an emergency.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from typing import Any

from nlp.registry import Doc, register
from nlp.spans import DATA, Hit, Row, compile_rows, find_all, iter_sources, load_json, load_jsonl
from nlp.textcat import LABELS, TextClassifier
from nlp.types import Evidence, NlpConfig

log = logging.getLogger(__name__)
RULE_SOURCES = ("subject", "body", "attachment")
MODEL_WEIGHT = 2.5  # a confident classifier (p ~ 1) is worth a strong phrase, not a citation
RULE_CAP = 5.0  # many phrases of one type do not outvote a citation of another without limit
NO_AUTHORITY_BOOST = 1.0  # nobody named an agency: more likely not a law-enforcement request
EMERGENCY_BOOST = 3.5  # danger to life stated in the sender's own words outweighs the legal form used
EMERGENCY_MIN = 2.0  # one danger-to-life cue, or two weaker ones (an offence name alone is history, not danger)
PHRASE_CAP = 2.0  # one phrase alone (no citation), even in the subject, cannot outvote a confident classifier
CITATION = 3.0  # a statute or an order's name: specific enough to win over the classifier
SUBJECT_BONUS = 1.0  # the subject of a new mail names the main ask; the body may add secondary ones
NOT_EMERGENCY_TYPES = {"inquiry", "not_law_enforcement"}
GUESS_MIN = 0.5  # below this, an emergency read by the classifier alone (no cue, no rule) is a guess
EMERGENCY_RULE_MIN = 2.0  # "emergency request", "exigent": said outright; "urgent request" (1.5) is not danger


@register("request_type")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        folder = DATA / "request_types"
        self.rules = compile_rows(load_jsonl(folder / "rules.jsonl"))
        self.emergency = compile_rows(load_jsonl(folder / "emergency.jsonl"))
        self.removal_emergency = compile_rows(load_jsonl(folder / "removal_emergency.jsonl"))
        neg = load_json(folder / "negations.json")
        self.negation = re.compile(r"\b(?:" + "|".join(neg["negations"]) + r")\b", re.IGNORECASE)
        self.window = int(neg["window_chars"])
        self.reply_prefix = re.compile(neg["reply_prefix"], re.IGNORECASE)
        self.history_after = re.compile(neg["history_after"], re.IGNORECASE)
        self.history_before = re.compile(neg["history_before"], re.IGNORECASE)
        if "textcat" not in resources:
            resources["textcat"] = TextClassifier()
        self.classifier: TextClassifier = resources["textcat"]

    def __call__(self, doc: Doc) -> None:
        rule_hits = self._rule_hits(doc)
        model = self.classifier.scores(doc.main_text() or doc.msg.subject)
        emergency_hits = self._emergency_hits(doc, self.emergency)
        scores = self._combine(doc, rule_hits, model, emergency_hits)
        danger_stated = _weight(emergency_hits) >= EMERGENCY_MIN
        doc.cache["request_type_scores"] = {  # finalize may overrule not_law_enforcement with the runner-up,
            k: v for k, v in scores.items() if k != "emergency_disclosure" or danger_stated  # never an emergency unsaid
        }
        best = max(scores, key=lambda k: scores[k])
        if best == "data_disclosure" and _weight(emergency_hits) >= EMERGENCY_MIN:
            best = "emergency_disclosure"  # a request for data because of danger to life is an emergency request
        elif best == "emergency_disclosure" and not danger_stated and model.get(best, 0.0) < GUESS_MIN \
                and not any(float(h.row["weight"]) >= EMERGENCY_RULE_MIN for h in rule_hits.get(best, [])):
            best = max((k for k in scores if k != best), key=lambda k: scores[k])
            log.info("emergency read by an unsure classifier or 'urgent' alone, no danger stated: %s instead", best)
        result = doc.result
        result.request_type = best
        total = sum(max(v, 0.0) for v in scores.values()) or 1.0
        result.confidence["request_type"] = round(max(scores[best], 0.0) / total, 3)
        for hit in rule_hits.get(best, [])[:3]:
            result.add_evidence("request_type", _evidence(hit, "request_type_rule"))
        if best == "content_removal":  # the content's own violent words are not a danger the order is about
            emergency_hits = self._emergency_hits(doc, self.removal_emergency)
        weight = _weight(emergency_hits)
        danger = weight >= EMERGENCY_MIN and best not in NOT_EMERGENCY_TYPES
        result.emergency = best == "emergency_disclosure" or danger
        if result.emergency:
            for hit in emergency_hits[:3]:
                result.add_evidence("emergency", _evidence(hit, "emergency_rule"))
            result.confidence["emergency"] = 0.9 if emergency_hits else 0.6
        log.info(
            "request_type %s (scores %s; model %s; rules %s) emergency=%s",
            best,
            {k: round(v, 2) for k, v in scores.items()},
            {k: round(v, 2) for k, v in model.items()},
            {k: [h.text for h in v] for k, v in rule_hits.items()},
            result.emergency,
        )

    def _rule_hits(self, doc: Doc) -> dict[str, list[Hit]]:
        """Hits by type, each rule counted once (its first hit not inside another type's longer hit)."""
        seen: set[int] = set()
        out: dict[str, list[Hit]] = defaultdict(list)
        for source, text in iter_sources(doc, RULE_SOURCES):
            echoed = source == "subject" and self._is_reply(doc)
            hits = [h for h in find_all(self.rules, source, text)
                    if not (float(h.row["weight"]) < 3 and self._negated(text, h.start))]
            for hit in hits:
                if id(hit.row) in seen or _inside_other(hit, hits):
                    continue  # "until our production order is granted": the order is the future process
                seen.add(id(hit.row))
                if echoed:  # a reply's subject names the earlier request, not necessarily this one
                    hit = Hit(hit.source, hit.start, hit.end, hit.text, {**hit.row, "weight": hit.row["weight"] / 2})
                out[hit.row["type"]].append(hit)
        return out

    def _emergency_hits(self, doc: Doc, patterns: list[Row]) -> list[Hit]:
        hits: list[Hit] = []
        for source, text in iter_sources(doc, ("subject", "body")):
            if source == "subject" and self._is_reply(doc):
                continue
            for hit in find_all(patterns, source, text):
                if self._negated(text, hit.start):
                    log.debug("emergency cue %r negated", hit.text)
                    continue
                if self._history(text, hit):
                    log.info("emergency cue %r names a past event, not a present danger", hit.text)
                    continue
                hits.append(hit)
        return hits

    def _history(self, text: str, hit: Hit) -> bool:
        """'overdose death investigation', 'died of an overdose': the event is over, nobody is in danger now."""
        if float(hit.row["weight"]) > 2.0:
            return False
        return bool(self.history_after.match(text, hit.end)
                    or self.history_before.search(text[max(0, hit.start - 40): hit.start]))

    def _is_reply(self, doc: Doc) -> bool:
        return bool(self.reply_prefix.match(doc.texts.get("subject", "")))

    def _negated(self, text: str, start: int) -> bool:
        """A negation shortly before, in the same clause ("this is not an emergency", "nicht zu löschen")."""
        before = re.split(r"[.;:!?,\n]", text[max(0, start - self.window): start])[-1]
        return bool(self.negation.search(before))

    def _combine(self, doc: Doc, rule_hits: dict[str, list[Hit]], model: dict[str, float],
                 emergency_hits: list[Hit]) -> dict[str, float]:
        scores = {label: MODEL_WEIGHT * model.get(label, 0.0) for label in LABELS}
        for label, hits in rule_hits.items():
            rule = min(sum(float(h.row["weight"]) for h in hits), RULE_CAP)
            if not self._is_reply(doc) and any(h.source == "subject" for h in hits):
                rule += SUBJECT_BONUS
            if len(hits) == 1 and float(hits[0].row["weight"]) < CITATION:
                rule = min(rule, PHRASE_CAP)
            scores[label] += rule
        no_authority = doc.result.agency is None and doc.result.sender_verified is not True
        danger = _weight(emergency_hits) >= EMERGENCY_MIN
        # no agency found is weak evidence; wording of a private person or a vendor is strong
        private = "not_law_enforcement" in rule_hits
        if danger and "content_removal" not in rule_hits and not private:
            scores["emergency_disclosure"] += EMERGENCY_BOOST
        if no_authority:
            scores["not_law_enforcement"] += NO_AUTHORITY_BOOST
        return scores


def _inside_other(hit: Hit, hits: list[Hit]) -> bool:
    """Starting within a longer hit of another type: the longer, more specific reading holds."""
    return any(o.row["type"] != hit.row["type"] and o.start <= hit.start < o.end
               and o.end - o.start > hit.end - hit.start for o in hits)


def _weight(hits: list[Hit]) -> float:
    """Summed weight of the distinct rules hit: one word repeated is one cue."""
    return sum(float(row["weight"]) for row in {id(h.row): h.row for h in hits}.values())


def _evidence(hit: Hit, rule: str) -> Evidence:
    return Evidence(text=hit.text, source=hit.source, start=hit.start, end=hit.end, rule=rule)
