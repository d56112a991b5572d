"""How the offline model words tool results for the customer, one renderer per tool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.models.base import ToolResultItem
from agents.models.offline_replies import (
    INVOICE_STATUS,
    TICKET_STATUS,
    day,
    eta,
    money,
    period,
    say,
)

Content = dict[str, Any]
_PREFERRED_CURRENCY = {"en": "USD", "es": "MXN", "pt": "BRL"}


def render_results(results: list[ToolResultItem], language: str) -> str:
    """One reply for the tool results that ended the transcript."""
    parts: list[str] = []
    for result in results:
        renderer = _RENDERERS.get(result.name)
        if result.is_error or (renderer is None and "error" in result.content):
            parts.append(say(language, "apology"))
        elif renderer is None:
            parts.append(say(language, "done"))
        else:
            parts.append(renderer(result.content, language))
    return "\n\n".join(dict.fromkeys(parts))


def _not_found(content: Content, language: str) -> str:
    """The account could not be identified: say why, and ask for the account number."""
    if content.get("error") == "account_mismatch":
        return say(language, "account_mismatch", customer_id=content.get("customer_id"))
    if content.get("customer_id"):
        return say(language, "account_unknown", customer_id=content["customer_id"])
    return say(language, "ask_account")


def _knowledge(content: Content, language: str) -> str:
    articles = content.get("articles") or []
    if not content.get("found") or not articles:
        return say(language, "tell_more")
    best = articles[0]
    text = " ".join(str(best.get("text", "")).split())
    sentences = text.replace("! ", "!\n").replace("? ", "?\n").replace(". ", ".\n").splitlines()
    return say(language, "kb_found", title=best.get("title", ""), summary=" ".join(sentences[:2]))


def _plans(content: Content, language: str) -> str:
    # The tool already kept the customer's own country; otherwise the language's usual
    # currency comes first.
    preferred = _PREFERRED_CURRENCY[language]
    plans = sorted(content.get("plans", []), key=lambda plan: plan["currency"] != preferred)
    lines = [say(language, "plans_intro")]
    for plan in plans:
        price = money(plan["price"], plan["currency"], language)
        fields = {"name": plan["name"], "id": plan["id"], "description": plan.get("description")}
        lines.append(say(language, "plan_line", price=price, **fields))
    return "\n".join([*lines, say(language, "plans_outro")])


def _lead(content: Content, language: str) -> str:
    if content.get("error") == "unknown_plan":
        return say(language, "unknown_plan", plans=", ".join(content.get("plan_ids", [])))
    if not content.get("created"):
        return say(language, "apology")
    lead, plan = content["lead"], content["plan"]
    return say(language, "lead_created", name=lead["name"], id=lead["id"], plan=plan["name"])


def _customer(content: Content, language: str) -> str:
    if not content.get("found"):
        return _not_found(content, language)
    customer, plan = content["customer"], content.get("plan") or {}
    plan_name = plan.get("name", customer.get("plan_id", ""))
    return say(language, "customer_found", name=customer["name"], id=customer["id"], plan=plan_name)


def _outage(content: Content, language: str) -> str:
    if content.get("needs_area"):
        return say(language, "needs_area")
    outages = content.get("outages") or []
    if not outages:
        return say(language, "no_outage", area=content.get("area", ""))
    first = outages[0]
    if first.get("eta"):
        return say(language, "outage", area=first["area"], eta=eta(first["eta"], language))
    return say(language, "outage_no_eta", area=first["area"])


def _ticket(content: Content, language: str) -> str:
    ticket = content.get("ticket")
    if content.get("created") and ticket:
        return say(language, "ticket_created", id=ticket["id"], subject=ticket["subject"])
    if not content.get("found") or not ticket:
        return say(language, "ticket_not_found", id=content.get("ticket_id", ""))
    status = TICKET_STATUS[language].get(ticket["status"], ticket["status"])
    return say(language, "ticket_status", id=ticket["id"], subject=ticket["subject"], status=status)


def _invoice_fields(invoice: Content, language: str) -> Content:
    status = invoice["status"]
    due = ""
    if status != "paid":
        key = "was_due" if status == "overdue" else "due_on"
        due = say(language, key, due=day(invoice["due_date"], language))
    return {
        "id": invoice["id"],
        "period": period(invoice["period"], language),
        "amount": money(invoice["amount"], invoice["currency"], language),
        "status": INVOICE_STATUS[language].get(status, status),
        "due": due,
    }


def _invoices(content: Content, language: str) -> str:
    if not content.get("found"):
        return _not_found(content, language)
    name = content["customer"]["name"]
    invoices = content.get("invoices") or []
    if not invoices:
        return say(language, "no_invoices", name=name)
    lines = [say(language, "invoices_intro", name=name)]
    lines += [say(language, "invoice_line", **_invoice_fields(i, language)) for i in invoices]
    balance = content.get("balance_due") or {}
    owed = ", ".join(money(amount, currency, language) for currency, amount in balance.items())
    lines.append(say(language, "balance", amount=owed) if owed else say(language, "no_balance"))
    return "\n".join(lines)


def _invoice(content: Content, language: str) -> str:
    if content.get("found"):
        return say(language, "invoice_detail", **_invoice_fields(content["invoice"], language))
    if "invoice_id" in content and "customer_id" not in content and "phone" not in content:
        return say(language, "invoice_not_found", id=content["invoice_id"])
    return _not_found(content, language)


def _refund(content: Content, language: str) -> str:
    if content.get("executed"):
        refund = content["refund"]
        amount = money(refund["amount"], refund["currency"], language)
        return say(language, "refund_done", id=refund["id"], amount=amount,
                   invoice=refund["invoice_id"])  # fmt: skip
    if content.get("needs_approval"):
        amount = money(content["amount"], content["currency"], language)
        return say(language, "refund_approval", amount=amount, invoice=content["invoice_id"])
    error, invoice = content.get("error"), content.get("invoice") or {}
    if error == "invoice_not_paid":
        return say(language, "refund_not_paid", invoice=invoice.get("id", ""))
    if error == "amount_exceeds_invoice":
        amount = money(invoice["amount"], invoice["currency"], language)
        return say(language, "refund_too_much", invoice=invoice["id"], amount=amount)
    if error == "invoice_not_found":
        return _invoice({k: v for k, v in content.items() if k != "error"}, language)
    return say(language, "apology")


_RENDERERS: dict[str, Callable[[Content, str], str]] = {
    "search_knowledge": _knowledge,
    "list_plans": _plans,
    "create_lead": _lead,
    "lookup_customer": _customer,
    "outage_status": _outage,
    "create_ticket": _ticket,
    "get_ticket": _ticket,
    "list_invoices": _invoices,
    "get_invoice": _invoice,
    "request_refund": _refund,
}
