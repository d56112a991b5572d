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
    DESKS,
    find_customer_ids,
    find_invoice_ids,
    find_ticket_ids,
    fold,
    is_greeting,
    mentions,
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
from agents.models.offline_followup import (
    amount_in,
    last_reply,
    mentioned_plan,
    name_in,
    pending_lead,
    pending_refund,
    shown_titles,
)
from agents.models.offline_render import render_results
from agents.models.offline_replies import LANGUAGES, TEAMS, say
from agents.routing.model import Prediction, RoutingModel, default_model

MODEL = "offline-rules-1"
_REASONS = {
    "sales": "plans and sales question",
    "support": "technical support question",
    "billing": "billing question",
}
_LOCATION = re.compile(r"\[the customer shared a location: (?P<where>.*?)\s*(?:\([^)]*\))?\]")

Action = ToolCall | str


class OfflineProvider:
    """Plays every desk (and the router) by keyword rules; a labelled stand-in, not a model."""

    name = "offline"

    def __init__(
        self, *, business_name: str = "Conecta", classifier: RoutingModel | None = None
    ) -> None:
        self.business_name = business_name
        self.classifier = classifier or default_model()

    async def respond(self, request: ModelRequest) -> ModelResponse:
        """Answer with one tool call or one text, chosen by rules from the request alone."""
        language = request.language[:2].lower()
        language = language if language in LANGUAGES else "en"
        if request.agent == "router":
            action: Action = self._route(request)
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
            return _after_results(request, results, language)
        user = _last_user_text(request.transcript)
        if user is None or not user.strip():
            return self._greeting(request.agent, language)
        return self._decide(request, user, language)

    def _decide(self, request: ModelRequest, text: str, language: str) -> Action:
        tools = {tool.name for tool in request.tools}
        escalate = next((tool.name for tool in request.tools if tool.escalates), None)
        prediction = self.classifier.predict(text)
        if prediction.wants_human and escalate is not None:
            return _call(request, escalate, reason="customer asked for a person")
        # An answer to our own question comes before anything the words alone suggest.
        action = _follow_up(request, text, tools, language)
        if action is not None:
            return action
        transfer = _transfers(request).get(prediction.label)
        if transfer and prediction.label != request.agent and _moves(prediction, request.agent):
            return _call(request, transfer, reason=_REASONS[prediction.label])
        action = _desk_action(request, text, tools, language)
        if action is not None:
            return action
        if is_greeting(text):
            return self._greeting(request.agent, language)
        if prediction.label == "none" and prediction.confident:
            return say(language, "anything_else")
        if "search_knowledge" in tools:
            return _call(request, "search_knowledge", query=text)
        return say(language, "tell_more")

    def _greeting(self, agent: str, language: str) -> str:
        team = TEAMS[language].get(agent, TEAMS[language]["support"])
        return say(language, "greeting", team=team, business=self.business_name)

    def _route(self, request: ModelRequest) -> ToolCall:
        text = _last_user_text(request.transcript) or ""
        prediction = self.classifier.predict(text)
        desk = prediction.desk
        why = f"classifier points to {desk} ({prediction.probability(desk):.2f})"
        return _call(request, _transfers(request)[desk], reason=f"router: {why}")


def _moves(prediction: Prediction, agent: str) -> bool:
    """Whether the message clearly belongs to another desk than `agent` (a wrong handoff
    costs the customer more than an answer from the wrong desk's articles)."""
    return prediction.label in DESKS and prediction.confidence >= prediction.thresholds.handoff


def _follow_up(request: ModelRequest, text: str, tools: set[str], language: str) -> Action | None:
    """Finish what our previous reply asked for: the name for a sign-up, the invoice for a
    refund, the area for an outage check, or a ticket when troubleshooting did not help."""
    transcript = request.transcript
    invoices = find_invoice_ids(text)
    if "request_refund" in tools and invoices and pending_refund(transcript, language):
        return _call(request, "request_refund", invoice_id=invoices[0], reason=text[:300])
    pending = pending_lead(transcript, language)
    if "create_lead" in tools and pending and name_in(text, bare=True):
        return _lead(request, text, language, pending)
    where = _LOCATION.search(text)
    if where and "outage_status" in tools:
        area = where["where"].strip(" ,")
        return _call(request, "outage_status", **({"area": area} if area else {}))
    previous = last_reply(transcript)
    tried = say(language, "no_outage", area="").split("{")[0][:20]
    if "create_ticket" in tools and previous and tried and tried in previous:
        return _ticket(request, text, transcript)
    return None


def _after_results(request: ModelRequest, results: list[ToolResultItem], language: str) -> Action:
    """Word the tool results, unless they call for one more step first."""
    text = _last_user_text(request.transcript) or ""
    tools = {tool.name for tool in request.tools}
    last = results[-1]
    if last.name == "list_invoices" and not last.is_error and mentions(text, "refund"):
        limit = last.content.get("refund_approval_limit")
        amount = amount_in(text)
        escalate = next((tool.name for tool in request.tools if tool.escalates), None)
        if amount is not None and limit is not None and amount > float(limit) and escalate:
            return _call(request, escalate, reason=f"refund of {amount:.2f} needs approval")
        if last.content.get("found") and last.content.get("invoices"):
            return render_results(results, language) + "\n\n" + say(language, "refund_which")
    if last.name == "search_knowledge" and last.content.get("articles"):
        title = str(last.content["articles"][0].get("title", ""))
        earlier = shown_titles(request.transcript[:-2])
        # The same article again would not help: open a ticket, or pass to a person.
        if fold(title) in earlier:
            if "create_ticket" in tools:
                return _ticket(request, text, request.transcript)
            escalate = next((tool.name for tool in request.tools if tool.escalates), None)
            if escalate:
                return _call(request, escalate, reason="the help article did not solve it")
    return render_results(results, language)


def _ticket(request: ModelRequest, text: str, transcript: tuple[TranscriptItem, ...]) -> ToolCall:
    """A ticket whose description carries what the customer said and already tried."""
    said = [item.text for item in transcript if isinstance(item, UserText)][-4:]
    subject = next((line for line in said if line.strip()), text).strip().splitlines()[0][:80]
    accounts = find_customer_ids(" ".join(said))
    who = {"customer_id": accounts[0]} if accounts else {}
    description = " / ".join(said)[:1000]
    return _call(request, "create_ticket", subject=subject, description=description, **who)


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
    if wanted("list_invoices", mentions(text, "refund")):
        # Which invoice? Show them, then ask (or escalate a sum above the approval limit).
        return _call(request, "list_invoices", **who)
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
    # Naming a plan we just listed is a sign-up too ("la Fibra 300, por favor").
    chosen = mentions(text, "signup") or mentioned_plan(request.transcript, text, loose=False)
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
    plan_id = mentioned_plan(request.transcript, text) or pending
    if plan_id is None:
        return _call(request, "list_plans", **_plan_kind(text))
    name = name_in(text, bare=pending is not None)
    if name is None:
        return say(language, "ask_name", plan=plan_id)
    return _call(request, "create_lead", name=name, plan_id=plan_id, note=text[:300])


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
