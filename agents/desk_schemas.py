"""The argument schemas of the desk tools: what a model may send, validated by pydantic.

Field descriptions end up in the JSON schema the model reads, so they are written for it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SearchKnowledgeArgs(BaseModel):
    """A question for the help articles."""

    query: str = Field(min_length=1, description="The customer's question, in their own words.")


class ListPlansArgs(BaseModel):
    """Which plans to list."""

    kind: Literal["internet", "mobile"] | None = Field(
        default=None, description="Only internet (home fiber) or only mobile plans."
    )


class CreateLeadArgs(BaseModel):
    """Who wants which plan."""

    name: str = Field(min_length=1, description="The customer's full name.")
    plan_id: str = Field(min_length=1, description="The plan id from list_plans, e.g. fiber-300.")
    note: str = Field(default="", description="Anything sales should know (address, timing).")


class CustomerArgs(BaseModel):
    """Whose account; the conversation's phone number decides unless it is unknown."""

    customer_id: str | None = Field(
        default=None,
        description="Account number the customer gave (e.g. C-1001); only needed when the "
        "conversation's phone number is not on file.",
    )


class OutageArgs(BaseModel):
    """Where to look for outages."""

    area: str | None = Field(
        default=None, description="Neighbourhood or city; omit to use the customer's own area."
    )


class CreateTicketArgs(CustomerArgs):
    """A technical problem to hand to the technicians."""

    subject: str = Field(min_length=1, max_length=200, description="A one-line summary.")
    description: str = Field(min_length=1, description="What happens, since when, what was tried.")


class TicketArgs(CustomerArgs):
    """Which ticket."""

    ticket_id: str = Field(min_length=1, description="Ticket id, e.g. T-4412.")


class InvoiceArgs(CustomerArgs):
    """Which invoice."""

    invoice_id: str = Field(min_length=1, description="Invoice id, e.g. INV-1042.")


class RefundArgs(InvoiceArgs):
    """A refund on one paid invoice."""

    reason: str = Field(min_length=1, description="Why the customer wants the refund.")
    amount: float | None = Field(
        default=None, gt=0, description="Amount to refund; omit to refund the whole invoice."
    )
