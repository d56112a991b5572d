"""The business backend seam: what the desks may ask of the operator's own systems.

An operator implements `BusinessBackend` against their CRM, billing and ticketing systems;
`agents.demo_backend.DemoBackend` is the in-memory stand-in used by default and by the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

# Re-exported: an operator's backend raises it, and reads it from this seam's module.
from agents.errors import BackendError as BackendError

PlanKind = Literal["internet", "mobile"]
InvoiceStatus = Literal["paid", "open", "overdue"]
TicketStatus = Literal["open", "in_progress", "resolved", "closed"]
RefundStatus = Literal["requested", "approved", "rejected"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Something the business sells: an internet or a mobile plan."""

    id: str
    name: str
    kind: PlanKind
    price: float
    currency: str
    description: str  # speed or data allowance, in plain words


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A customer account; `area` is where their service is installed (used for outages)."""

    id: str
    name: str
    phone: str  # E.164
    plan_id: str
    language: str
    area: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    """One monthly bill, e.g. INV-1042 for period 2025-11."""

    id: str
    customer_id: str
    period: str  # YYYY-MM
    amount: float
    currency: str
    status: InvoiceStatus
    due_date: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    """A support ticket, e.g. T-4412; `customer_id` is None when the requester is unknown."""

    id: str
    customer_id: str | None
    subject: str
    description: str
    status: TicketStatus
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Outage:
    """A known service interruption in an area."""

    area: str
    description: str
    eta: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lead:
    """Someone who wants to sign up, for the sales team to call back."""

    id: str
    name: str
    phone: str | None
    plan_id: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundRequest:
    """A refund the backend accepted for processing."""

    id: str
    invoice_id: str
    customer_id: str
    amount: float
    currency: str
    reason: str
    status: RefundStatus
    created_at: datetime


@runtime_checkable
class BusinessBackend(Protocol):
    """The operator's systems as the desks see them; lookups return None when nothing matches.

    Methods raise `BackendError` when the system refuses a request for a reason worth telling.
    """

    async def list_plans(self) -> Sequence[Plan]:
        """Every plan on sale now, in the order sales should present them."""
        ...

    async def find_customer_by_phone(self, phone: str) -> Customer | None:
        """The customer whose phone is `phone` (E.164, e.g. "+5215512345678"), or None.

        Numbers arrive in one canonical form per person (Mexico +52 without the 1, Argentina
        +549, Brazil with the ninth digit); match your records in that form.
        """
        ...

    async def get_customer(self, customer_id: str) -> Customer | None:
        """The customer with account id `customer_id` (as printed on invoices), or None."""
        ...

    async def list_invoices(self, customer_id: str) -> Sequence[Invoice]:
        """The customer's invoices, newest first; empty when there are none."""
        ...

    async def get_invoice(self, invoice_id: str) -> Invoice | None:
        """One invoice by id, or None. The desk checks it belongs to the customer asking."""
        ...

    async def create_ticket(
        self, customer_id: str | None, subject: str, description: str
    ) -> Ticket:
        """Open a support ticket and return it with its id; `customer_id` is None when the
        requester could not be identified."""
        ...

    async def get_ticket(self, ticket_id: str) -> Ticket | None:
        """One ticket by id, or None."""
        ...

    async def outage_status(
        self, area: str | None, *, customer_id: str | None = None
    ) -> Sequence[Outage]:
        """Outages in `area`, else in the customer's area, else everywhere."""
        ...

    async def create_lead(self, name: str, phone: str | None, plan_id: str, note: str) -> Lead:
        """Record someone who wants `plan_id`, for a sales advisor to call back; raise
        `BackendError` for an unknown plan."""
        ...

    async def request_refund(self, invoice_id: str, amount: float, reason: str) -> RefundRequest:
        """Accept a refund request for processing, never pay it out blindly: raise
        `BackendError` when the invoice is unknown, unpaid, or `amount` exceeds what is left.

        Only amounts within the operator's approval limit reach this method; larger ones are
        escalated to a person before any call.
        """
        ...
