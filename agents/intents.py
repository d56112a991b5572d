"""What the offline model acts on beyond the desk: topics (en/es/pt keywords) and ids.

Which desk a message belongs to, and whether it asks for a person, is the routing
classifier's job (`agents.routing`). Text is folded before matching, so "Cobrança",
"cobranca" and "COBRANÇA!" are the same word. A keyword ending in `*` is a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from agents.routing.features import fold as fold

DESKS = ("sales", "support", "billing")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GREETING_CORE = _words(
    "hi hello hey hiya howdy hola holi buenas buenos buen saludos oi ola bom boa good alo"
)
_GREETING = _GREETING_CORE | _words(
    "there all everyone morning afternoon evening day que tal como estas esta dia dias tardes "
    "noches tarde noite tudo bem e ai conecta team equipo equipe"
)

_TOPICS: dict[str, tuple[str, ...]] = {
    "refund": (
        "reembols*", "refund*", "estorno", "devolucion", "devolucao", "devuelvan*", "devolver",
        "money back", "de volta", "devolvam",
    ),
    "invoice": (
        "factura*", "fatura*", "invoice*", "bill", "bills", "saldo", "balance", "recibo",
        "estado de cuenta", "adeudo", "deuda", "boleto", "segunda via", "cuanto debo",
        "quanto devo", "how much do i owe", "what do i owe",
    ),
    "how_to_pay": (
        "como pag*", "como puedo pagar", "donde pag*", "formas de pag*", "metodos de pag*",
        "medios de pag*", "how do i pay", "how can i pay", "how to pay", "where can i pay",
        "ways to pay", "payment methods", "como faco para pagar", "como faco o pagamento",
        "onde pag*", "como fazer o pagamento",
    ),
    "outage": (
        "sin internet", "sem internet", "no tengo internet", "no hay internet", "no funciona",
        "nao funciona", "caido", "caida", "caiu", "outage", "falla*", "falha*", "sin servicio",
        "sem servico", "is down", "no internet", "not working", "no connection", "sin conexion",
        "sem conexao", "se fue el internet", "se cayo", "parou",
    ),
    "open_ticket": (
        "abrir un ticket", "abre un ticket", "abreme un ticket", "crear un ticket", "levantar un "
        "reporte", "abrir un reporte", "abrir chamado", "abrir um chamado", "abre um chamado",
        "open a ticket", "create a ticket", "file a ticket", "raise a ticket",
    ),
    "signup": (
        "contratar", "quiero el plan", "quiero la fibra", "me interesa", "assinar", "quero o plano",
        "tenho interesse", "sign up", "signup", "subscribe", "i want the", "i d like the",
        "i m interested", "i am interested", "upgrade",
    ),
    "plans": (
        "plan", "planes", "plano", "planos", "plans", "precio*", "preco*", "price*", "pricing",
        "cuanto cuesta", "quanto custa", "how much", "tarifa*", "promo*", "oferta*", "offer*",
        "megas", "mbps",
    ),
    "mobile": (
        "movil", "celular", "chip", "mobile", "cell", "phone plan", "datos", "dados", "esim",
    ),
    "internet": ("internet", "fibra", "fiber", "hogar", "casa", "home", "wifi", "megas", "mbps"),
}  # fmt: skip

_INVOICE_ID = re.compile(r"\bINV[-\s]?(\d{3,})\b", re.IGNORECASE)
_TICKET_ID = re.compile(
    r"(?:\bT-?|#|\b(?:ticket|chamado|caso|case)\s*(?:n[oº°.]*|num(?:ero)?\.?|number)?\s*#?)"
    r"(\d{3,})\b",
    re.IGNORECASE,
)
_CUSTOMER_ID = re.compile(r"\bC-?(\d{4,})\b", re.IGNORECASE)


@cache
def _pattern(keyword: str) -> re.Pattern[str]:
    if keyword.endswith("*"):
        return re.compile(rf"\b{re.escape(keyword[:-1])}[0-9a-z]*")
    return re.compile(rf"\b{re.escape(keyword)}\b")


def matches_any(text: str, keywords: Iterable[str]) -> bool:
    """True if the folded text contains any keyword (phrases and `prefix*` allowed)."""
    folded = fold(text)
    return any(_pattern(keyword).search(folded) for keyword in keywords)


def mentions(text: str, topic: str) -> bool:
    """True if the text touches a topic: refund, invoice, how_to_pay, outage, open_ticket,
    signup, plans, mobile or internet."""
    return matches_any(text, _TOPICS[topic])


def is_greeting(text: str) -> bool:
    """True when the text is only a greeting ("hola", "oi, bom dia!", "hi there")."""
    tokens = fold(text).split()
    return bool(tokens) and set(tokens) <= _GREETING and not _GREETING_CORE.isdisjoint(tokens)


def find_invoice_ids(text: str) -> tuple[str, ...]:
    """Invoice ids mentioned in the text, normalised to "INV-1042", in order of appearance."""
    return _unique(f"INV-{number}" for number in _INVOICE_ID.findall(text))


def find_ticket_ids(text: str) -> tuple[str, ...]:
    """Ticket ids ("T-4412", "#4412", "ticket 4412"), normalised to "T-4412"."""
    without_invoices = _INVOICE_ID.sub(" ", text)
    return _unique(f"T-{number}" for number in _TICKET_ID.findall(without_invoices))


def find_customer_ids(text: str) -> tuple[str, ...]:
    """Account numbers ("C-1001", "c1001"), normalised to "C-1001"."""
    return _unique(f"C-{number}" for number in _CUSTOMER_ID.findall(text))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
