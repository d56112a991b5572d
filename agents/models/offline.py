"""A deterministic, rule-based stand-in for an LLM: no key, no network, same answer every time.

It reads only the request (agent, language, transcript, tools), decides with the keyword
rules of `agents.intents`, and words its replies with `agents.models.offline_replies`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict

from agents.intents import (
    classify_desk,
    find_customer_ids,
    find_invoice_ids,
    find_ticket_ids,
    fold,
    is_greeting,
    mentions,
    wants_human,
)
from agents.models.base import (
    AssistantText,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolCallItem,
    ToolResultItem,
    TranscriptItem,
    Usage,
    UserText,
)
from agents.models.offline_render import render_results
from agents.models.offline_replies import LANGUAGES, PHRASES, TEAMS, say

MODEL = "offline-rules-1"
_REASONS = {
    "sales": "plans and sales question",
    "support": "technical support question",
    "billing": "billing question",
}
_NAME = re.compile(
    r"\b(?:me llamo|mi nombre es|meu nome [eé]|me chamo|my name is)\s+"
    r"(?P<name>[^\W\d_]+(?:[ '-][^\W\d_]+){0,4})",
    re.IGNORECASE,
)
_NAME_STOP = frozenset({"y", "e", "and", "quiero", "quero", "want", "i", "me", "mi", "my", "para"})
_NAME_PARTICLES = frozenset({"de", "del", "da", "do", "dos", "das", "la", "van", "von"})
_PLAN_ID = re.compile(r"\b[a-z]+(?:-[a-z0-9]+)+\b")
_PLAN_LINE = re.compile(r"^• (?P<name>.+?) \((?P<id>[a-z0-9]+(?:-[a-z0-9]+)+)\)", re.MULTILINE)

Action = ToolCall | str


class OfflineProvider:
    """Plays every desk (and the router) by keyword rules; a labelled stand-in, not a model."""

    name = "offline"

    def __init__(self, *, business_name: str = "Conecta") -> None:
        self.business_name = business_name

    async def respond(self, request: ModelRequest) -> ModelResponse:
        """Answer with one tool call or one text, chosen by rules from the request alone."""
        language = request.language[:2].lower()
        language = language if language in LANGUAGES else "en"
        if request.agent == "router":
            action: Action = _route(request)
        else:
            action = self._answer(request, language)
        calls = (action,) if isinstance(action, ToolCall) else ()
        text = action if isinstance(action, str) else ""
        return ModelResponse(
            model=MODEL,
            text=text,
            tool_calls=calls,
            usage=Usage(
                input_tokens=_tokens(request.system, *map(_item_text, request.transcript)),
                output_tokens=_tokens(text, *(json.dumps(asdict(call)) for call in calls)),
            ),
            cost_usd=0.0,
        )

    def _answer(self, request: ModelRequest, language: str) -> Action:
        results = _trailing_results(request.transcript)
        handoff_tools = set(_transfers(request).values())
        handoffs_only = all(r.name in handoff_tools for r in results)
        if results and not handoffs_only:
            return render_results(results, language)
        user = _last_user_text(request.transcript)
        if user is None or not user.strip():
            return self._greeting(request.agent, language)
        return self._decide(request, user, language)

    def _decide(self, request: ModelRequest, text: str, language: str) -> Action:
        tools = {tool.name for tool in request.tools}
        escalate = next((tool.name for tool in request.tools if tool.escalates), None)
        if wants_human(text) and escalate is not None:
            return _call(request, escalate, reason="customer asked for a person")
        guess = classify_desk(text)
        transfer = _transfers(request).get(guess.desk or "")
        # Only a confident guess moves the customer, so a desk never sends them straight back.
        if guess.confident and guess.desk and guess.desk != request.agent and transfer:
            return _call(request, transfer, reason=_REASONS[guess.desk])
        action = _desk_action(request, text, tools, language)
        if action is not None:
            return action
        if is_greeting(text):
            return self._greeting(request.agent, language)
        if "search_knowledge" in tools:
            return _call(request, "search_knowledge", query=text)
        return say(language, "tell_more")

    def _greeting(self, agent: str, language: str) -> str:
        team = TEAMS[language].get(agent, TEAMS[language]["support"])
        return say(language, "greeting", team=team, business=self.business_name)


def _route(request: ModelRequest) -> ToolCall:
    text = _last_user_text(request.transcript) or ""
    guess = classify_desk(text)
    desk = guess.desk or "support"
    why = f"keywords point to {desk}" if guess.desk else "no clear topic, support by default"
    return _call(request, _transfers(request)[desk], reason=f"router: {why}")


def _transfers(request: ModelRequest) -> dict[str, str]:
    """The handoff tools this request offers, by the desk each hands the conversation to."""
    return {tool.hands_off_to: tool.name for tool in request.tools if tool.hands_off_to}


def _desk_action(request: ModelRequest, text: str, tools: set[str], language: str) -> Action | None:
    """The desk tool the text asks for, if this agent has it (first rule that fits wins)."""
    invoices, tickets = find_invoice_ids(text), find_ticket_ids(text)
    accounts = find_customer_ids(text)
    who = {"customer_id": accounts[0]} if accounts else {}

    def wanted(name: str, condition: object) -> bool:
        return bool(condition) and name in tools

    if wanted("request_refund", invoices and mentions(text, "refund")):
        return _call(request, "request_refund", invoice_id=invoices[0], reason=text[:300], **who)
    if wanted("get_invoice", invoices):
        return _call(request, "get_invoice", invoice_id=invoices[0], **who)
    if wanted("get_ticket", tickets):
        return _call(request, "get_ticket", ticket_id=tickets[0], **who)
    if wanted("list_invoices", mentions(text, "invoice") and not mentions(text, "how_to_pay")):
        return _call(request, "list_invoices", **who)
    if wanted("outage_status", mentions(text, "outage")):
        return _call(request, "outage_status")
    if wanted("create_ticket", mentions(text, "open_ticket")):
        subject = text.strip().splitlines()[0][:80]
        return _call(request, "create_ticket", subject=subject, description=text[:1000], **who)
    pending = _pending_lead(request, language)
    if wanted("create_lead", pending and _name_in(text, bare=True)):
        return _lead(request, text, language, pending)
    # Naming a plan we just listed is a sign-up too ("la Fibra 300, por favor").
    chosen = mentions(text, "signup") or _mentioned_plan(request.transcript, text, loose=False)
    if wanted("create_lead", chosen):
        return _lead(request, text, language, None)
    if wanted("list_plans", mentions(text, "plans")):
        return _call(request, "list_plans", **_plan_kind(text))
    if wanted("list_invoices", accounts):
        return _call(request, "list_invoices", **who)
    if wanted("lookup_customer", accounts):
        return _call(request, "lookup_customer", **who)
    return None


def _lead(request: ModelRequest, text: str, language: str, pending: str | None) -> Action:
    """Sign-up: show the plans, then ask for a name, then register the lead."""
    plan_id = _mentioned_plan(request.transcript, text) or pending
    if plan_id is None:
        return _call(request, "list_plans", **_plan_kind(text))
    name = _name_in(text, bare=pending is not None)
    if name is None:
        return say(language, "ask_name", plan=plan_id)
    return _call(request, "create_lead", name=name, plan_id=plan_id, note=text[:300])


def _pending_lead(request: ModelRequest, language: str) -> str | None:
    """The plan id if our previous reply asked for the customer's name to sign them up."""
    previous = next(
        (item.text for item in reversed(request.transcript) if isinstance(item, AssistantText)),
        "",
    )
    opening = PHRASES[language]["ask_name"].split("{plan}")[0]
    if not previous.startswith(opening):
        return None
    found = _PLAN_ID.search(previous[len(opening) :])
    return found.group(0) if found else None


def _mentioned_plan(
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


def _name_in(text: str, *, bare: bool) -> str | None:
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


def _plan_kind(text: str) -> dict[str, str]:
    mobile, internet = mentions(text, "mobile"), mentions(text, "internet")
    if mobile != internet:
        return {"kind": "mobile" if mobile else "internet"}
    return {}


def _call(request: ModelRequest, name: str, /, **arguments: object) -> ToolCall:
    """A tool call whose id depends only on the transcript, so runs are reproducible."""
    made = sum(1 for item in request.transcript if isinstance(item, ToolCallItem))
    return ToolCall(id=f"call_{made + 1}", name=name, arguments=dict(arguments))


def _trailing_results(transcript: tuple[TranscriptItem, ...]) -> list[ToolResultItem]:
    results: list[ToolResultItem] = []
    for item in reversed(transcript):
        if not isinstance(item, ToolResultItem):
            break
        results.insert(0, item)
    return results


def _last_user_text(transcript: tuple[TranscriptItem, ...]) -> str | None:
    return next((i.text for i in reversed(transcript) if isinstance(i, UserText)), None)


def _item_text(item: TranscriptItem) -> str:
    if isinstance(item, UserText | AssistantText):
        return item.text
    if isinstance(item, ToolCallItem):
        return item.text + json.dumps([asdict(call) for call in item.calls])
    return json.dumps(item.content, ensure_ascii=False, default=str)


def _tokens(*parts: str) -> int:
    """The usual rough estimate: four characters per token."""
    return math.ceil(sum(len(part) for part in parts) / 4)
