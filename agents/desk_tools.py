"""The tools each desk gets, wired to a `BusinessBackend` and the knowledge base.

Customers are identified by the phone number of the conversation; when it is unknown (or the
channel has none) the agent may pass the account number the customer gives (`customer_id`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from pydantic import BaseModel

from agents.backend import BusinessBackend, Customer, Invoice
from agents.desk_schemas import (
    CreateLeadArgs,
    CreateTicketArgs,
    CustomerArgs,
    InvoiceArgs,
    ListPlansArgs,
    OutageArgs,
    RefundArgs,
    SearchKnowledgeArgs,
    TicketArgs,
)
from agents.errors import BackendError, UnknownDeskError
from agents.intents import DESKS, find_customer_ids, find_invoice_ids, find_ticket_ids
from agents.knowledge import KnowledgeBase
from agents.markets import plans_for
from agents.tools import Tool, ToolContext, ToolResult


def desk_tools(
    desk: str,
    backend: BusinessBackend,
    knowledge: KnowledgeBase,
    *,
    refund_approval_limit: float,
) -> tuple[Tool, ...]:
    """The tools of one desk ("sales", "support" or "billing"); raise UnknownDeskError otherwise."""
    if desk not in DESKS:
        raise UnknownDeskError(f"no tools for desk {desk!r}")
    kit = _Toolkit(backend, knowledge, refund_approval_limit)
    search = _tool("search_knowledge", "Search the help articles (plans, payments, due dates, "
                   "refunds, troubleshooting, outages, moving, cancelling, opening hours) in the "
                   "conversation's language.", SearchKnowledgeArgs,
                   kit.search_knowledge)  # fmt: skip
    lookup = _tool("lookup_customer", "Find the customer's account (name, plan, area) by the "
                   "conversation's phone number, or by the account number they give.",
                   CustomerArgs, kit.lookup_customer)  # fmt: skip
    by_desk: dict[str, tuple[Tool, ...]] = {
        "sales": (
            _tool("list_plans", "List the plans on sale with prices.", ListPlansArgs,
                  kit.list_plans),
            _tool("create_lead", "Register a sign-up request for a plan so sales calls back; "
                  "the phone number is taken from the conversation.", CreateLeadArgs,
                  kit.create_lead),
        ),
        "support": (
            lookup,
            _tool("outage_status", "Known outages in an area (default: the customer's area), "
                  "with the estimated time of repair.", OutageArgs, kit.outage_status),
            _tool("create_ticket", "Open a support ticket for a technical problem.",
                  CreateTicketArgs, kit.create_ticket),
            _tool("get_ticket", "Status of one of the customer's tickets.", TicketArgs,
                  kit.get_ticket),
        ),
        "billing": (
            lookup,
            _tool("list_invoices", "The customer's invoices (newest first) and balance due.",
                  CustomerArgs, kit.list_invoices),
            _tool("get_invoice", "One of the customer's invoices.", InvoiceArgs, kit.get_invoice),
            _tool("request_refund", "Request a refund on a paid invoice of the customer. Large "
                  "refunds are not executed: they go to a person for approval.", RefundArgs,
                  kit.request_refund),
        ),
    }  # fmt: skip
    return (search, *by_desk[desk])


def _tool(
    name: str,
    description: str,
    parameters: type[BaseModel],
    handler: Callable[[Any, ToolContext], Awaitable[dict[str, Any] | ToolResult]],
) -> Tool:
    async def run(arguments: Any, context: ToolContext) -> ToolResult:
        try:
            result = await handler(arguments, context)
        except BackendError as exc:
            # The backend's refusal is meant to be read; the agent explains it to the customer.
            return ToolResult(content={"error": "backend_refused", "message": str(exc)})
        return result if isinstance(result, ToolResult) else ToolResult(content=result)

    return Tool(name=name, description=description, parameters=parameters, handler=run)


class _Toolkit:
    """The handlers, sharing the backend, the knowledge base and the refund limit."""

    def __init__(self, backend: BusinessBackend, knowledge: KnowledgeBase, limit: float) -> None:
        self._backend = backend
        self._knowledge = knowledge
        self._limit = limit

    async def search_knowledge(self, args: SearchKnowledgeArgs, ctx: ToolContext) -> dict[str, Any]:
        articles = self._knowledge.search(args.query, ctx.language)
        return {
            "found": bool(articles),
            "query": args.query,
            "articles": [
                {"slug": a.slug, "title": a.title, "desk": a.desk, "text": a.body} for a in articles
            ],
        }

    async def list_plans(self, args: ListPlansArgs, ctx: ToolContext) -> dict[str, Any]:
        plans, country = plans_for(await self._backend.list_plans(), ctx.phone)
        shown = [_json(p, _PLAN) for p in plans if args.kind in (None, p.kind)]
        return {"plans": shown, "country": country}

    async def create_lead(self, args: CreateLeadArgs, ctx: ToolContext) -> dict[str, Any]:
        plans = {plan.id: plan for plan in await self._backend.list_plans()}
        plan = plans.get(args.plan_id.strip().lower())
        if plan is None:
            return {"error": "unknown_plan", "plan_id": args.plan_id, "plan_ids": list(plans)}
        lead = await self._backend.create_lead(args.name, ctx.phone, plan.id, args.note)
        lead_json = _json(lead, ("id", "name"))
        return {"created": True, "lead": lead_json, "plan": _json(plan, _PLAN)}

    async def lookup_customer(self, args: CustomerArgs, ctx: ToolContext) -> dict[str, Any]:
        customer = await self._identify(ctx, args.customer_id)
        if not isinstance(customer, Customer):
            return customer
        plans = {plan.id: plan for plan in await self._backend.list_plans()}
        plan = plans.get(customer.plan_id)
        return {
            "found": True,
            "customer": _json(customer, _CUSTOMER),
            "plan": _json(plan, _PLAN) if plan else None,
        }

    async def outage_status(self, args: OutageArgs, ctx: ToolContext) -> dict[str, Any]:
        area = args.area
        customer = None if area else await self._identify(ctx, None)
        if isinstance(customer, Customer):
            area = customer.area
        if not area:
            return {"area": None, "needs_area": True, "outages": []}
        outages = await self._backend.outage_status(area)
        return {
            "area": area,
            "needs_area": False,
            "outages": [_json(outage, _OUTAGE) for outage in outages],
        }

    async def create_ticket(self, args: CreateTicketArgs, ctx: ToolContext) -> dict[str, Any]:
        customer = await self._identify(ctx, args.customer_id)
        if not isinstance(customer, Customer) and args.customer_id:
            return customer
        owner = customer.id if isinstance(customer, Customer) else None
        ticket = await self._backend.create_ticket(owner, args.subject, args.description)
        return {"created": True, "ticket": _json(ticket, _TICKET)}

    async def get_ticket(self, args: TicketArgs, ctx: ToolContext) -> dict[str, Any]:
        ticket_id = next(iter(find_ticket_ids(args.ticket_id)), args.ticket_id.strip().upper())
        ticket = await self._backend.get_ticket(ticket_id)
        if ticket is not None and ticket.customer_id is not None:
            customer = await self._identify(ctx, args.customer_id)
            # Someone else's ticket looks exactly like a missing one: ids are easy to guess.
            if not isinstance(customer, Customer) or customer.id != ticket.customer_id:
                ticket = None
        if ticket is None:
            return {"found": False, "ticket_id": ticket_id}
        return {"found": True, "ticket": _json(ticket, _TICKET)}

    async def list_invoices(self, args: CustomerArgs, ctx: ToolContext) -> dict[str, Any]:
        customer = await self._identify(ctx, args.customer_id)
        if not isinstance(customer, Customer):
            return customer
        invoices = await self._backend.list_invoices(customer.id)
        balance: dict[str, float] = {}
        for invoice in invoices:
            if invoice.status != "paid":
                balance[invoice.currency] = round(
                    balance.get(invoice.currency, 0) + invoice.amount, 2
                )
        return {
            "found": True,
            "customer": {"id": customer.id, "name": customer.name},
            "invoices": [_json(i, _INVOICE) for i in invoices],
            "balance_due": balance,
            # Refunds above this need a person's approval; the agent can say so up front.
            "refund_approval_limit": self._limit,
        }

    async def get_invoice(self, args: InvoiceArgs, ctx: ToolContext) -> dict[str, Any]:
        found = await self._own_invoice(args.invoice_id, args.customer_id, ctx)
        if not isinstance(found, Invoice):
            return found
        return {"found": True, "invoice": _json(found, _INVOICE)}

    async def request_refund(
        self, args: RefundArgs, ctx: ToolContext
    ) -> dict[str, Any] | ToolResult:
        invoice = await self._own_invoice(args.invoice_id, args.customer_id, ctx)
        if not isinstance(invoice, Invoice):
            return {"error": "invoice_not_found", **invoice}
        if invoice.status != "paid":
            return {"error": "invoice_not_paid", "invoice": _json(invoice, _INVOICE)}
        amount = round(args.amount if args.amount is not None else invoice.amount, 2)
        if amount > invoice.amount:
            return {"error": "amount_exceeds_invoice", "invoice": _json(invoice, _INVOICE)}
        if amount > self._limit:
            what = f"refund of {amount:.2f} {invoice.currency} on {invoice.id}"
            content = {
                "executed": False,
                "needs_approval": True,
                "invoice_id": invoice.id,
                "amount": amount,
                "currency": invoice.currency,
                "approval_limit": self._limit,
                "message": f"Refunds above {self._limit:.2f} need a person's approval; "
                "the conversation is being passed to staff.",
            }
            return ToolResult(content=content, escalate=f"{what} needs approval")
        refund = await self._backend.request_refund(invoice.id, amount, args.reason)
        return {
            "executed": True,
            "refund": {
                "id": refund.id,
                "invoice_id": refund.invoice_id,
                "amount": refund.amount,
                "currency": refund.currency,
                "status": refund.status,
            },
        }

    async def _own_invoice(
        self, invoice_id: str, customer_id: str | None, ctx: ToolContext
    ) -> Invoice | dict[str, Any]:
        """The invoice if it belongs to the identified customer, else content saying why not."""
        customer = await self._identify(ctx, customer_id)
        if not isinstance(customer, Customer):
            return customer
        wanted = next(iter(find_invoice_ids(invoice_id)), invoice_id.strip().upper())
        invoice = await self._backend.get_invoice(wanted)
        if invoice is None or invoice.customer_id != customer.id:
            return {
                "found": False,
                "invoice_id": wanted,
                "message": "No such invoice on this account.",
            }
        return invoice

    async def _identify(
        self, ctx: ToolContext, customer_id: str | None
    ) -> Customer | dict[str, Any]:
        """The customer by phone, else by the account number given; content saying why not."""
        by_phone = await self._backend.find_customer_by_phone(ctx.phone) if ctx.phone else None
        wanted = None
        if customer_id:
            wanted = next(iter(find_customer_ids(customer_id)), customer_id.strip().upper())
        if by_phone is not None:
            if wanted is not None and wanted != by_phone.id:
                # A known number asking about another account could be anyone; staff decide.
                return {
                    "found": False,
                    "error": "account_mismatch",
                    "customer_id": wanted,
                    "message": "That account is not linked to this phone number.",
                }
            return by_phone
        if wanted is not None:
            customer = await self._backend.get_customer(wanted)
            if customer is not None:
                return customer
            return {
                "found": False,
                "customer_id": wanted,
                "message": "No account with that number; ask the customer to check it.",
            }
        return {
            "found": False,
            "phone": ctx.phone,
            "message": "No customer has this phone number. Ask for the account number "
            "(it looks like C-1001, printed on every invoice) and pass it as customer_id.",
        }


# What the model sees of each record: enough to answer, nothing it does not need.
_PLAN = ("id", "name", "kind", "price", "currency", "description")
_CUSTOMER = ("id", "name", "plan_id", "language", "area")
_INVOICE = ("id", "period", "amount", "currency", "status", "due_date")
_TICKET = ("id", "subject", "status", "created_at")
_OUTAGE = ("area", "description", "eta")


def _json(record: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """Some fields of a backend record, dates and times as ISO 8601 strings."""
    values = {name: getattr(record, name) for name in fields}
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
