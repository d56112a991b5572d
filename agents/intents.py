"""Multilingual (en/es/pt) keyword rules shared by the router and the offline model.

Text is folded (lower case, accents removed, punctuation to spaces) before matching, so
"Cobrança", "cobranca" and "COBRANÇA!" are the same word. A keyword ending in `*` is a prefix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

DESKS = ("sales", "support", "billing")

_Rules = tuple[tuple[str, float], ...]

# Weights: 2+ means the word alone names the desk; 1 or less only tips the balance.
_DESK_RULES: dict[str, _Rules] = {
    "billing": (
        ("factur*", 2), ("fatura*", 2), ("invoice*", 2), ("bill", 2), ("bills", 2),
        ("billing", 2), ("saldo", 1.5), ("balance", 1.5), ("pago", 1.5), ("pagos", 1.5),
        ("pagar", 1.5), ("pague", 1), ("pagamento*", 2), ("payment*", 2), ("pay", 1.5),
        ("cobr*", 2), ("charge*", 1.5), ("reembols*", 2.5), ("refund*", 2.5), ("estorno", 2.5),
        ("devolucion", 1.5), ("devolucao", 1.5), ("boleto", 2), ("pix", 2), ("tarjeta", 1),
        ("cartao", 1), ("credit card", 1.5), ("recibo", 1.5), ("receipt", 1.5), ("deuda", 1.5),
        ("adeudo", 1.5), ("debo", 1), ("vencid*", 1), ("vencimiento", 1.5), ("vencimento", 1.5),
        ("due date", 1.5), ("late fee", 2), ("recargo", 1.5), ("multa", 1.5), ("juros", 1),
        ("cancel*", 1.5), ("dar de baja", 1.5),
    ),
    "support": (
        ("internet", 1), ("sin servicio", 2), ("sin internet", 2.5), ("sem internet", 2.5),
        ("no tengo internet", 2.5), ("sem sinal", 2), ("sin senal", 2), ("no hay internet", 2.5),
        ("lento", 2), ("lenta", 2), ("lentitud", 2), ("slow", 2), ("router", 2),
        ("roteador", 2), ("modem", 2), ("caido", 2), ("caida", 2), ("caiu", 2), ("outage", 2.5),
        ("falla*", 2), ("falha*", 2), ("no funciona", 2), ("nao funciona", 2),
        ("not working", 2), ("doesn t work", 2), ("down", 1), ("senal", 1.5), ("sinal", 1.5),
        ("signal", 1.5), ("wifi", 1.5), ("wi fi", 1.5), ("ticket*", 2), ("chamado", 2),
        ("tecnico", 2), ("technician", 2), ("conexion", 1.5), ("conexao", 1.5),
        ("connection", 1.5), ("desconect*", 1.5), ("disconnect*", 1.5), ("se cae", 2),
        ("se corta", 2), ("intermitente", 2), ("no puedo navegar", 2), ("reiniciar", 1.5),
        ("restart", 1.5), ("velocidad", 1), ("velocidade", 1), ("speed", 1), ("mudanza", 1.5),
        ("mudanca", 1.5), ("me mudo", 1.5), ("moving", 1.5), ("new address", 1.5),
        ("nueva direccion", 1.5), ("novo endereco", 1.5), ("domicilio", 1), ("endereco", 1),
    ),
    "sales": (
        ("plan", 0.5), ("plano", 0.5), ("planes", 1.5), ("planos", 1.5), ("plans", 1.5),
        ("precio*", 2), ("preco*", 2), ("price*", 2), ("pricing", 2), ("cuanto cuesta", 2),
        ("quanto custa", 2), ("how much", 1.5), ("costo", 1.5), ("contratar", 2.5),
        ("contrato", 1), ("assinar", 2), ("assinatura", 1.5), ("sign up", 2.5), ("signup", 2.5),
        ("subscribe", 2), ("upgrade", 2), ("mejorar mi plan", 2), ("cambiar de plan", 2),
        ("cambiar mi plan", 2), ("mudar de plano", 2), ("trocar de plano", 2),
        ("change my plan", 2), ("promo*", 2), ("oferta*", 2), ("offer*", 2), ("descuento", 1.5),
        ("desconto", 1.5), ("discount", 1.5), ("fibra", 1.5), ("fiber", 1.5), ("megas", 2),
        ("mbps", 1.5), ("gigas", 1), ("cobertura", 2), ("coverage", 2), ("nuevo cliente", 2),
        ("cliente nuevo", 2), ("new customer", 2), ("portabilidad", 2), ("portabilidade", 2),
        ("esim", 1), ("linea nueva", 2), ("nueva linea", 2), ("linha nova", 2),
        ("instalacion", 1), ("instalacao", 1),
    ),
}  # fmt: skip

_HUMAN = (
    "human", "humans", "humano", "humana", "atendente", "representative", "representante",
    "operador", "operator", "asesor", "real person", "to a person", "with a person", "someone real",
    "talk to someone", "speak to someone", "talk to somebody", "speak with someone",
    "talk with someone", "an agent", "live agent", "real agent", "con una persona",
    "una persona real", "persona de verdad", "con alguien", "un agente", "con un agente",
    "atencion personalizada", "falar com alguem", "com uma pessoa", "pessoa de verdade",
    "pessoa real", "com um agente", "um agente", "atendimento humano",
)  # fmt: skip


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GREETING_CORE = _words(
    "hi hello hey hiya howdy hola holi buenas buenos buen saludos oi ola bom boa good alo"
)
_GREETING = _GREETING_CORE | _words(
    "there all everyone morning afternoon evening day que tal como estas esta dia dias tardes "
    "noches tarde noite tudo bem e ai conecta team equipo equipe"
)

# Topics the offline model acts on; the router only needs the desk scores above.
_TOPICS: dict[str, tuple[str, ...]] = {
    "refund": ("reembols*", "refund*", "estorno", "devolucion", "devolucao", "devuelvan"),
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


@dataclass(frozen=True, slots=True, kw_only=True)
class DeskGuess:
    """Which desk a text belongs to; `confident` only when one desk clearly wins."""

    desk: str | None
    confident: bool
    scores: tuple[tuple[str, float], ...]

    def score(self, desk: str) -> float:
        """The score of one desk (0.0 for an unknown desk)."""
        return dict(self.scores).get(desk, 0.0)


def fold(text: str) -> str:
    """Lower case, accents stripped, every non-alphanumeric run turned into one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


@cache
def _pattern(keyword: str) -> re.Pattern[str]:
    if keyword.endswith("*"):
        return re.compile(rf"\b{re.escape(keyword[:-1])}[0-9a-z]*")
    return re.compile(rf"\b{re.escape(keyword)}\b")


def matches_any(text: str, keywords: Iterable[str]) -> bool:
    """True if the folded text contains any keyword (phrases and `prefix*` allowed)."""
    folded = fold(text)
    return any(_pattern(keyword).search(folded) for keyword in keywords)


def _score(folded: str, rules: _Rules) -> float:
    return sum(weight for keyword, weight in rules if _pattern(keyword).search(folded))


def classify_desk(text: str) -> DeskGuess:
    """Score each desk by its keywords; the winner must lead by 2x and reach 1.5 to be sure."""
    folded = fold(text)
    scores = {desk: _score(folded, _DESK_RULES[desk]) for desk in DESKS}
    # An explicit id is the strongest hint there is about what the customer is asking.
    if find_invoice_ids(text):
        scores["billing"] += 3
    if find_ticket_ids(text):
        scores["support"] += 3
    ranked = sorted(scores.values(), reverse=True)
    top, second = ranked[0], ranked[1]
    leaders = [desk for desk in DESKS if scores[desk] == top]
    desk = leaders[0] if top > 0 and len(leaders) == 1 else None
    confident = desk is not None and top >= 1.5 and top >= 2 * second
    return DeskGuess(desk=desk, confident=confident, scores=tuple(scores.items()))


def mentions(text: str, topic: str) -> bool:
    """True if the text touches a topic: refund, invoice, how_to_pay, outage, open_ticket,
    signup, plans, mobile or internet."""
    return matches_any(text, _TOPICS[topic])


def wants_human(text: str) -> bool:
    """True when the customer asks for a person rather than the assistant."""
    return matches_any(text, _HUMAN)


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
