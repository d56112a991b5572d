"""An in-memory `BusinessBackend` for Conecta, the demo internet and mobile provider.

Deterministic: ids come from counters and every date is relative to the injected clock, read
once when the backend is built.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from agents.backend import (
    BackendError,
    Customer,
    Invoice,
    InvoiceStatus,
    Lead,
    Outage,
    Plan,
    RefundRequest,
    Ticket,
)

Clock = Callable[[], datetime]

PLANS: tuple[Plan, ...] = (
    Plan(id="fiber-100", name="Fibra 100", kind="internet", price=399.0, currency="MXN",
         description="100 Mbps fiber, unlimited data, Wi-Fi router included"),
    Plan(id="fiber-300", name="Fibra 300", kind="internet", price=499.0, currency="MXN",
         description="300 Mbps fiber, unlimited data, Wi-Fi 6 router included"),
    Plan(id="fiber-1000", name="Fibra Giga", kind="internet", price=799.0, currency="MXN",
         description="1 Gbps fiber, unlimited data, Wi-Fi 6 mesh kit included"),
    Plan(id="mobile-10", name="Móvil 10", kind="mobile", price=199.0, currency="MXN",
         description="10 GB of data, unlimited calls, SMS and WhatsApp"),
    Plan(id="mobile-unlimited", name="Móvil Ilimitado", kind="mobile", price=349.0,
         currency="MXN", description="Unlimited data (30 GB at full speed), unlimited calls"),
    Plan(id="br-fibra-500", name="Fibra 500", kind="internet", price=129.9, currency="BRL",
         description="500 Mbps fiber in Brazil, unlimited data, Wi-Fi 6 router included"),
    Plan(id="br-movel-20", name="Móvel 20 GB", kind="mobile", price=59.9, currency="BRL",
         description="20 GB of data in Brazil, unlimited calls and WhatsApp"),
    Plan(id="global-esim", name="Global eSIM", kind="mobile", price=25.0, currency="USD",
         description="15 GB usable in Mexico, Brazil and the US, unlimited calls"),
)  # fmt: skip

CUSTOMERS: tuple[Customer, ...] = (
    Customer(id="C-1001", name="María González", phone="+5215512345678", plan_id="fiber-300",
             language="es", area="CDMX Coyoacán"),
    Customer(id="C-1002", name="João Silva", phone="+5511987654321", plan_id="br-fibra-500",
             language="pt", area="São Paulo Pinheiros"),
    Customer(id="C-1003", name="Emily Carter", phone="+14155550100", plan_id="global-esim",
             language="en", area="CDMX Roma Norte"),
    Customer(id="C-1004", name="Carlos Ramírez", phone="+5218187654321", plan_id="fiber-100",
             language="es", area="Monterrey Centro"),
    Customer(id="C-1005", name="Ana Souza", phone="+5521998877665", plan_id="br-movel-20",
             language="pt", area="Rio de Janeiro Botafogo"),
)  # fmt: skip

OUTAGE_AREA = "Monterrey Centro"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def _period(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_before(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


class DemoBackend:
    """Conecta's plans, five customers, their invoices, ticket T-4412 and one outage."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        now = self._clock()
        self._plans = {plan.id: plan for plan in PLANS}
        self._customers = {customer.id: customer for customer in CUSTOMERS}
        self._invoices = {invoice.id: invoice for invoice in _demo_invoices(now.date())}
        self._tickets: dict[str, Ticket] = {
            "T-4412": Ticket(
                id="T-4412",
                customer_id="C-1001",
                subject="Internet drops every evening",
                description="Connection drops between 8 and 10 pm; router already restarted.",
                status="in_progress",
                created_at=now - timedelta(days=2),
            )
        }
        self._outages = (
            Outage(
                area=OUTAGE_AREA,
                description="Fiber cut on the main line; internet is down in the area.",
                eta=now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=4),
            ),
        )
        self._leads: list[Lead] = []
        self._refunds: list[RefundRequest] = []
        self._next_ticket = 4413
        self._next_lead = 1
        self._next_refund = 1

    @property
    def leads(self) -> tuple[Lead, ...]:
        """Leads created so far, oldest first."""
        return tuple(self._leads)

    @property
    def refunds(self) -> tuple[RefundRequest, ...]:
        """Refunds requested so far, oldest first."""
        return tuple(self._refunds)

    async def list_plans(self) -> Sequence[Plan]:
        return tuple(self._plans.values())

    async def find_customer_by_phone(self, phone: str) -> Customer | None:
        wanted = _comparable(phone)
        return next((c for c in self._customers.values() if _comparable(c.phone) == wanted), None)

    async def get_customer(self, customer_id: str) -> Customer | None:
        return self._customers.get(customer_id.strip().upper())

    async def list_invoices(self, customer_id: str) -> Sequence[Invoice]:
        found = [i for i in self._invoices.values() if i.customer_id == customer_id]
        return tuple(sorted(found, key=lambda invoice: invoice.period, reverse=True))

    async def get_invoice(self, invoice_id: str) -> Invoice | None:
        return self._invoices.get(invoice_id.strip().upper())

    async def create_ticket(
        self, customer_id: str | None, subject: str, description: str
    ) -> Ticket:
        if customer_id is not None and customer_id not in self._customers:
            raise BackendError(f"unknown customer {customer_id}")
        ticket = Ticket(
            id=f"T-{self._next_ticket}",
            customer_id=customer_id,
            subject=subject,
            description=description,
            status="open",
            created_at=self._clock(),
        )
        self._next_ticket += 1
        self._tickets[ticket.id] = ticket
        return ticket

    async def get_ticket(self, ticket_id: str) -> Ticket | None:
        return self._tickets.get(ticket_id.strip().upper())

    async def outage_status(
        self, area: str | None, *, customer_id: str | None = None
    ) -> Sequence[Outage]:
        if area is None and customer_id is not None:
            customer = self._customers.get(customer_id)
            area = customer.area if customer else None
        if area is None:
            return self._outages
        wanted = _fold(area)
        # Customers name their area loosely ("monterrey", "centro de Monterrey"): match both ways.
        return tuple(o for o in self._outages if wanted in _fold(o.area) or _fold(o.area) in wanted)

    async def create_lead(self, name: str, phone: str | None, plan_id: str, note: str) -> Lead:
        if plan_id not in self._plans:
            raise BackendError(f"unknown plan {plan_id}")
        lead = Lead(
            id=f"L-{self._next_lead:04d}",
            name=name,
            phone=phone,
            plan_id=plan_id,
            note=note,
            created_at=self._clock(),
        )
        self._next_lead += 1
        self._leads.append(lead)
        return lead

    async def request_refund(self, invoice_id: str, amount: float, reason: str) -> RefundRequest:
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise BackendError(f"unknown invoice {invoice_id}")
        if invoice.status != "paid":
            raise BackendError(f"invoice {invoice_id} is not paid, so there is nothing to refund")
        already = sum(r.amount for r in self._refunds if r.invoice_id == invoice_id)
        if amount <= 0 or round(already + amount, 2) > invoice.amount:
            left = round(invoice.amount - already, 2)
            raise BackendError(f"at most {left:.2f} {invoice.currency} can be refunded")
        refund = RefundRequest(
            id=f"R-{self._next_refund:04d}",
            invoice_id=invoice_id,
            customer_id=invoice.customer_id,
            amount=round(amount, 2),
            currency=invoice.currency,
            reason=reason,
            status="requested",
            created_at=self._clock(),
        )
        self._next_refund += 1
        self._refunds.append(refund)
        return refund


def _demo_invoices(today: date) -> tuple[Invoice, ...]:
    """Last month's and this month's bills; ids stay fixed so demos and tests can name them."""
    this_month = today.replace(day=1)
    last_month = _month_before(this_month)
    # The current bill always falls due in ten days so the open invoice never looks late.
    due_now = today + timedelta(days=10)
    due_before = last_month + timedelta(days=24)
    rows: tuple[tuple[str, str, date, float, str, InvoiceStatus, date], ...] = (
        ("INV-1041", "C-1001", last_month, 499.0, "MXN", "paid", due_before),
        ("INV-1042", "C-1001", this_month, 499.0, "MXN", "open", due_now),
        ("INV-2041", "C-1002", last_month, 129.9, "BRL", "paid", due_before),
        ("INV-2042", "C-1002", this_month, 129.9, "BRL", "open", due_now),
        ("INV-3042", "C-1003", this_month, 25.0, "USD", "paid", due_now),
        ("INV-4041", "C-1004", last_month, 399.0, "MXN", "overdue", due_before),
        ("INV-4042", "C-1004", this_month, 399.0, "MXN", "open", due_now),
        ("INV-5042", "C-1005", this_month, 59.9, "BRL", "open", due_now),
    )
    return tuple(
        Invoice(id=id_, customer_id=cid, period=_period(month), amount=amount, currency=cur,
                status=status, due_date=due)
        for id_, cid, month, amount, cur, status, due in rows
    )  # fmt: skip


def _comparable(phone: str) -> str:
    """One form for the ways one person's number is written: Mexico's +521 and +52, and
    Brazil's mobiles with and without the ninth digit (channels may send either)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("521") and len(digits) == 13:
        return "52" + digits[3:]
    if digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        return digits[:4] + "9" + digits[4:]
    return digits
