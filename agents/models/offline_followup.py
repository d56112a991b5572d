"""What the offline model asked last time, read back from its own replies, and the answers.

The offline model keeps no state: a question it asked ("which plan?", "your name?", "which
invoice?") is recognised in the transcript by the phrase it used, so the next turn can finish
the job with what the customer answered.
"""

from __future__ import annotations

import re

from agents.intents import find_invoice_ids, fold
from agents.models.base import AssistantText, ToolResultItem, TranscriptItem
from agents.models.offline_replies import PHRASES

_NAME = re.compile(
    r"\b(?:me llamo|mi nombre es|meu nome [eé]|me chamo|my name is|soy|i am|i'm|sou o|sou a)\s+"
    r"(?P<name>[^\W\d_]+(?:[ '-][^\W\d_]+){0,4})",
    re.IGNORECASE,
)
_NAME_STOP = frozenset({"y", "e", "and", "quiero", "quero", "want", "i", "me", "mi", "my", "para"})
_NAME_PARTICLES = frozenset({"de", "del", "da", "do", "dos", "das", "la", "van", "von"})
_PLAN_ID = re.compile(r"\b[a-z]+(?:-[a-z0-9]+)+\b")
_PLAN_LINE = re.compile(r"^• (?P<name>.+?) \((?P<id>[a-z0-9]+(?:-[a-z0-9]+)+)\)", re.MULTILINE)
_AMOUNT = re.compile(r"(?<![\w-])(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)\b")


def last_reply(transcript: tuple[TranscriptItem, ...]) -> str:
    """Our previous reply to the customer ("" if there is none)."""
    return next((i.text for i in reversed(transcript) if isinstance(i, AssistantText)), "")


def asked(transcript: tuple[TranscriptItem, ...], key: str, language: str) -> str | None:
    """The rest of our previous reply if it was the phrase `key` (up to its first field)."""
    previous = last_reply(transcript)
    opening = PHRASES[language][key].split("{")[0]
    return previous[len(opening) :] if opening and opening in previous else None


def pending_lead(transcript: tuple[TranscriptItem, ...], language: str) -> str | None:
    """The plan id if our previous reply asked for the customer's name to sign them up."""
    rest = asked(transcript, "ask_name", language)
    found = _PLAN_ID.search(rest) if rest is not None else None
    return found.group(0) if found else None


def pending_refund(transcript: tuple[TranscriptItem, ...], language: str) -> bool:
    """Whether our previous reply asked which invoice a refund is for."""
    return asked(transcript, "refund_which", language) is not None


def shown_titles(transcript: tuple[TranscriptItem, ...]) -> set[str]:
    """Titles of the help articles we already showed in this conversation (folded)."""
    titles: set[str] = set()
    for item in transcript:
        if isinstance(item, AssistantText) and item.text.startswith("*"):
            titles.add(fold(item.text[1:].split("*", 1)[0]))
    return titles


def mentioned_plan(
    transcript: tuple[TranscriptItem, ...], text: str, *, loose: bool = True
) -> str | None:
    """A plan the customer names: by a name or id we listed before, or (`loose`) by any
    id-like word."""
    known: dict[str, str] = {}
    for item in transcript:
        if isinstance(item, ToolResultItem) and item.name == "list_plans":
            for plan in item.content.get("plans", []):
                known[fold(str(plan["name"]))] = str(plan["id"])
                known[fold(str(plan["id"]))] = str(plan["id"])
        elif isinstance(item, AssistantText):
            for line in _PLAN_LINE.finditer(item.text):
                known[fold(line["name"])] = line["id"]
                known[fold(line["id"])] = line["id"]
    folded = f" {fold(text)} "
    for label in sorted(known, key=len, reverse=True):
        if f" {label} " in folded:
            return known[label]
    if not loose:
        return None
    ids = [
        found
        for found in _PLAN_ID.findall(text.lower())
        if not found.startswith(("inv-", "t-", "c-"))
    ]
    return ids[0] if ids else None


def name_in(text: str, *, bare: bool) -> str | None:
    """The customer's name from "me llamo …" and the like; `bare` accepts a name on its own."""
    found = _NAME.search(text)
    words = found["name"].split() if found else []
    if not words and bare:
        words = text.strip().rstrip(".!").split()
        if not 2 <= len(words) <= 5 or not all(w.replace("'", "").isalpha() for w in words):
            return None
    kept: list[str] = []
    for word in words:
        if word.lower() in _NAME_STOP:
            break
        kept.append(
            word.lower() if word.lower() in _NAME_PARTICLES else word[:1].upper() + word[1:]
        )
    return " ".join(kept) or None


def amount_in(text: str) -> float | None:
    """The largest sum of money the text names ("499 pesos", "R$ 1.299,90"), ids excluded."""
    without_ids = text
    for invoice in find_invoice_ids(text):
        without_ids = re.sub(re.escape(invoice.split("-")[1]), " ", without_ids)
    amounts = []
    for raw in _AMOUNT.findall(without_ids):
        digits = raw
        if re.search(r"[.,]\d{1,2}$", raw):
            whole, cents = raw[:-3] if raw[-3] in ".," else raw[:-2], raw[-2:].lstrip(".,")
            digits = re.sub(r"[.,]", "", whole) + "." + cents
        else:
            digits = re.sub(r"[.,]", "", raw)
        amounts.append(float(digits))
    return max(amounts) if amounts else None
