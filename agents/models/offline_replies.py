"""What the offline model says, in English, Latin-American Spanish and Brazilian Portuguese.

Templates use `str.format` fields; money, dates and statuses are formatted per language here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

LANGUAGES = ("en", "es", "pt")

TEAMS = {
    "en": {"sales": "sales", "support": "technical support", "billing": "billing"},
    "es": {"sales": "de ventas", "support": "de soporte técnico", "billing": "de facturación"},
    "pt": {"sales": "de vendas", "support": "de suporte técnico", "billing": "financeira"},
}

INVOICE_STATUS = {
    "en": {"paid": "paid", "open": "open", "overdue": "overdue"},
    "es": {"paid": "pagada", "open": "pendiente de pago", "overdue": "vencida"},
    "pt": {"paid": "paga", "open": "em aberto", "overdue": "vencida"},
}

TICKET_STATUS = {
    "en": {"open": "open", "in_progress": "in progress", "resolved": "resolved",
           "closed": "closed"},
    "es": {"open": "abierto", "in_progress": "en proceso", "resolved": "resuelto",
           "closed": "cerrado"},
    "pt": {"open": "aberto", "in_progress": "em andamento", "resolved": "resolvido",
           "closed": "fechado"},
}  # fmt: skip

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hi! This is the {team} team at {business}. How can I help you?",
        "tell_more": "Could you tell me a bit more about what you need? That way I can help you "
        "better.",
        "apology": "Sorry, I had a problem checking that. Shall we try again, or would you "
        "rather talk to a person?",
        "escalated": "I'm passing you to a person on our team; they will reply here shortly.",
        "ask_account": "I couldn't find your account from this chat. Could you share your "
        "customer number? It starts with C, like C-1001, and it's printed on your invoice.",
        "account_unknown": "I couldn't find account {customer_id}. Could you check the number? "
        "It's printed on your invoice.",
        "account_mismatch": "Account {customer_id} is not linked to this phone number. For your "
        "security, a person on our team will need to verify it.",
        "customer_found": "I found your account, {name} ({id}), on the {plan} plan. How can I "
        "help?",
        "kb_found": "*{title}*\n{summary}\n\nAnything else I can help with?",
        "plans_intro": "These are our plans:",
        "plan_line": "• {name} ({id}): {price} a month — {description}",
        "plans_outro": "Which one interests you? Tell me the plan and your name and I'll "
        "register your request.",
        "ask_name": "Great choice! To register your request for the {plan} plan, could you tell "
        "me your full name?",
        "lead_created": "All set, {name}! I registered your request for the {plan} plan "
        "(reference {id}). A sales advisor will contact you soon to confirm coverage and "
        "installation.",
        "unknown_plan": "I couldn't find that plan. The available plans are: {plans}. Which one "
        "interests you?",
        "needs_area": "Which neighbourhood or city are you in? I'll check whether there's a "
        "reported outage in your area.",
        "outage": "Yes, there is a reported outage in {area} and we're already working on it. "
        "We expect service to be back {eta}. Sorry for the trouble.",
        "outage_no_eta": "Yes, there is a reported outage in {area} and we're already working on "
        "it. We'll let you know when service is back. Sorry for the trouble.",
        "eta": "on {date} at {time}{zone}",
        "no_outage": "There are no reported outages in {area}. Please try restarting your "
        "router: unplug it for 30 seconds, plug it back in and wait 2 minutes. If it still "
        "doesn't work, tell me and I'll open a support ticket.",
        "ticket_created": 'I opened ticket {id}: "{subject}". A technician will review it and '
        "we'll keep you posted here.",
        "ticket_status": 'Ticket {id} ("{subject}") is {status}.',
        "ticket_not_found": "I couldn't find ticket {id} on your account. Could you check the "
        "number?",
        "invoices_intro": "{name}, these are your latest invoices:",
        "invoice_line": "• {id} ({period}): {amount} — {status}{due}",
        "due_on": ", due {due}",
        "was_due": ", was due {due}",
        "balance": "Balance due: {amount}.",
        "no_balance": "You have no balance due. You're all up to date!",
        "no_invoices": "{name}, you don't have any invoices yet.",
        "invoice_detail": "Invoice {id} (period {period}) is for {amount} and is {status}{due}.",
        "invoice_not_found": "I couldn't find invoice {id} on your account. Could you check the "
        "number? It looks like INV-1042.",
        "refund_done": "Done: I registered refund request {id} for {amount} on invoice "
        "{invoice}. You'll see it on your payment method within 5 to 10 business days.",
        "refund_approval": "Your refund of {amount} on invoice {invoice} needs approval from a "
        "person on our team. I've passed your case on and they will reply here.",
        "refund_not_paid": "Invoice {invoice} hasn't been paid yet, so there's nothing to refund.",
        "refund_too_much": "That amount is more than invoice {invoice} ({amount}). How much "
        "should we refund?",
        "done": "Done. Anything else I can help with?",
        "anything_else": "You're welcome! Is there anything else I can help you with?",
        "refund_which": "Which invoice should the refund be for? Tell me its number (like "
        "INV-1041) and I'll request it.",
    },
    "es": {
        "greeting": "¡Hola! Soy del equipo {team} de {business}. ¿En qué te puedo ayudar?",
        "tell_more": "¿Me cuentas un poco más sobre lo que necesitas? Así te puedo ayudar mejor.",
        "apology": "Perdón, tuve un problema al consultar eso. ¿Lo intentamos de nuevo o "
        "prefieres que te comunique con una persona?",
        "escalated": "Te comunico con una persona de nuestro equipo; te responderá por aquí en "
        "breve.",
        "ask_account": "No encontré tu cuenta desde este chat. ¿Me compartes tu "
        "número de cliente? Empieza con C, por ejemplo C-1001, y viene en tu factura.",
        "account_unknown": "No encontré la cuenta {customer_id}. ¿Puedes revisar el número? "
        "Viene en tu factura.",
        "account_mismatch": "La cuenta {customer_id} no está ligada a este número de teléfono. "
        "Por seguridad, una persona de nuestro equipo tendrá que verificarla.",
        "customer_found": "Encontré tu cuenta, {name} ({id}), con el plan {plan}. ¿En qué te "
        "ayudo?",
        "kb_found": "*{title}*\n{summary}\n\n¿Te ayudo con algo más?",
        "plans_intro": "Estos son nuestros planes:",
        "plan_line": "• {name} ({id}): {price} al mes",
        "plans_outro": "¿Cuál te interesa? Si me dices el plan y tu nombre, registro tu solicitud.",
        "ask_name": "¡Excelente elección! Para registrar tu solicitud del plan {plan}, ¿me dices "
        "tu nombre completo?",
        "lead_created": "¡Listo, {name}! Registré tu solicitud del plan {plan} (folio {id}). Un "
        "asesor te contactará pronto para confirmar la cobertura y la instalación.",
        "unknown_plan": "No encontré ese plan. Los planes disponibles son: {plans}. ¿Cuál te "
        "interesa?",
        "needs_area": "¿En qué colonia o ciudad estás? Así reviso si hay una falla reportada en "
        "tu zona.",
        "outage": "Sí, hay una falla reportada en {area} y ya estamos trabajando en ella. "
        "Estimamos que el servicio vuelva {eta}. Disculpa las molestias.",
        "outage_no_eta": "Sí, hay una falla reportada en {area} y ya estamos trabajando en ella. "
        "Te avisaremos cuando se restablezca. Disculpa las molestias.",
        "eta": "el {date} a las {time}{zone}",
        "no_outage": "No hay fallas reportadas en {area}. Prueba reiniciar tu módem: "
        "desconéctalo 30 segundos, vuelve a conectarlo y espera 2 minutos. Si sigue sin "
        "funcionar, dime y abro un ticket de soporte.",
        "ticket_created": "Abrí el ticket {id}: «{subject}». Un técnico lo revisará y te "
        "avisaremos por aquí.",
        "ticket_status": "El ticket {id} («{subject}») está {status}.",
        "ticket_not_found": "No encontré el ticket {id} en tu cuenta. ¿Puedes revisar el número?",
        "invoices_intro": "{name}, estas son tus facturas más recientes:",
        "invoice_line": "• {id} ({period}): {amount}, {status}{due}",
        "due_on": ", vence el {due}",
        "was_due": ", venció el {due}",
        "balance": "Saldo pendiente: {amount}.",
        "no_balance": "No tienes saldo pendiente. ¡Estás al corriente!",
        "no_invoices": "{name}, todavía no tienes facturas.",
        "invoice_detail": "La factura {id} (periodo {period}) es por {amount} y está "
        "{status}{due}.",
        "invoice_not_found": "No encontré la factura {id} en tu cuenta. ¿Puedes revisar el "
        "número? Tiene el formato INV-1042.",
        "refund_done": "Listo, registré tu solicitud de reembolso {id} por {amount} de la "
        "factura {invoice}. Lo verás en tu medio de pago en 5 a 10 días hábiles.",
        "refund_approval": "Tu reembolso de {amount} de la factura {invoice} necesita la "
        "aprobación de una persona de nuestro equipo. Ya le pasé tu caso y te responderá por "
        "aquí.",
        "refund_not_paid": "La factura {invoice} todavía no está pagada, así que no hay nada que "
        "reembolsar.",
        "refund_too_much": "Ese monto es mayor que el de la factura {invoice} ({amount}). ¿Qué "
        "monto necesitas que te reembolsemos?",
        "done": "Listo. ¿Te ayudo con algo más?",
        "anything_else": "¡Con gusto! ¿Hay algo más en lo que te pueda ayudar?",
        "refund_which": "¿De qué factura quieres el reembolso? Dime su número (por ejemplo "
        "INV-1041) y lo solicito.",
    },
    "pt": {
        "greeting": "Oi! Aqui é da equipe {team} da {business}. Como posso te ajudar?",
        "tell_more": "Pode me contar um pouco mais sobre o que você precisa? Assim consigo te "
        "ajudar melhor.",
        "apology": "Desculpe, tive um problema ao consultar isso. Quer tentar de novo ou "
        "prefere falar com um atendente?",
        "escalated": "Vou passar você para uma pessoa da nossa equipe; ela vai responder aqui "
        "em breve.",
        "ask_account": "Não encontrei seu cadastro por este chat. Pode me informar "
        "o seu número de cliente? Começa com C, por exemplo C-1001, e está na sua fatura.",
        "account_unknown": "Não encontrei a conta {customer_id}. Pode conferir o número? Ele "
        "está na sua fatura.",
        "account_mismatch": "A conta {customer_id} não está vinculada a este número de "
        "telefone. Por segurança, uma pessoa da nossa equipe precisa verificar.",
        "customer_found": "Encontrei o seu cadastro, {name} ({id}), com o plano {plan}. Como "
        "posso ajudar?",
        "kb_found": "*{title}*\n{summary}\n\nPosso ajudar em mais alguma coisa?",
        "plans_intro": "Estes são os nossos planos:",
        "plan_line": "• {name} ({id}): {price} por mês",
        "plans_outro": "Qual te interessa? Se você me disser o plano e o seu nome, eu registro "
        "o seu pedido.",
        "ask_name": "Ótima escolha! Para registrar o seu pedido do plano {plan}, pode me dizer "
        "o seu nome completo?",
        "lead_created": "Pronto, {name}! Registrei o seu pedido do plano {plan} (protocolo "
        "{id}). Um consultor vai entrar em contato em breve para confirmar a cobertura e a "
        "instalação.",
        "unknown_plan": "Não encontrei esse plano. Os planos disponíveis são: {plans}. Qual te "
        "interessa?",
        "needs_area": "Em qual bairro ou cidade você está? Assim eu verifico se há alguma falha "
        "na sua região.",
        "outage": "Sim, há uma falha registrada em {area} e já estamos trabalhando nela. A "
        "previsão é que o serviço volte {eta}. Desculpe o transtorno.",
        "outage_no_eta": "Sim, há uma falha registrada em {area} e já estamos trabalhando nela. "
        "Avisaremos quando o serviço voltar. Desculpe o transtorno.",
        "eta": "em {date} às {time}{zone}",
        "no_outage": "Não há falhas registradas em {area}. Tente reiniciar o roteador: tire da "
        "tomada por 30 segundos, ligue de novo e aguarde 2 minutos. Se continuar sem "
        "funcionar, me avise que eu abro um chamado.",
        "ticket_created": "Abri o chamado {id}: “{subject}”. Um técnico vai analisar e "
        "avisaremos você por aqui.",
        "ticket_status": "O chamado {id} (“{subject}”) está {status}.",
        "ticket_not_found": "Não encontrei o chamado {id} na sua conta. Pode conferir o número?",
        "invoices_intro": "{name}, estas são as suas faturas mais recentes:",
        "invoice_line": "• {id} ({period}): {amount}, {status}{due}",
        "due_on": ", vence em {due}",
        "was_due": ", venceu em {due}",
        "balance": "Saldo em aberto: {amount}.",
        "no_balance": "Você não tem saldo em aberto. Está tudo em dia!",
        "no_invoices": "{name}, você ainda não tem faturas.",
        "invoice_detail": "A fatura {id} (referente a {period}) é de {amount} e está "
        "{status}{due}.",
        "invoice_not_found": "Não encontrei a fatura {id} na sua conta. Pode conferir o número? "
        "O formato é INV-2041.",
        "refund_done": "Pronto, registrei o seu pedido de reembolso {id} de {amount} da fatura "
        "{invoice}. O valor volta para a sua forma de pagamento em 5 a 10 dias úteis.",
        "refund_approval": "O seu reembolso de {amount} da fatura {invoice} precisa da "
        "aprovação de uma pessoa da nossa equipe. Já passei o seu caso e ela vai responder "
        "aqui.",
        "refund_not_paid": "A fatura {invoice} ainda não foi paga, então não há nada para "
        "reembolsar.",
        "refund_too_much": "Esse valor é maior que o da fatura {invoice} ({amount}). Qual valor "
        "você precisa que seja reembolsado?",
        "done": "Pronto. Posso ajudar em mais alguma coisa?",
        "anything_else": "Por nada! Posso ajudar em mais alguma coisa?",
        "refund_which": "De qual fatura você quer o reembolso? Me diga o número (por exemplo "
        "INV-2041) e eu faço o pedido.",
    },
}


def say(language: str, key: str, **fields: object) -> str:
    """One phrase in the language (English when the language has no phrases)."""
    return PHRASES.get(language, PHRASES["en"])[key].format(**fields)


def money(amount: object, currency: object, language: str) -> str:
    """ "499.00 MXN" in English and Spanish, "129,90 BRL" in Portuguese."""
    text = f"{float(str(amount)):,.2f}"
    if language == "pt":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} {currency}"


def day(iso: object, language: str) -> str:
    """An ISO date as "05/12/2025" (es, pt) or "Dec 5, 2025" (en)."""
    value = date.fromisoformat(str(iso)[:10])
    if language == "en":
        return f"{_MONTHS_EN[value.month - 1]} {value.day}, {value.year}"
    return value.strftime("%d/%m/%Y")


def period(text: object, language: str) -> str:
    """A billing period "2025-11" as "11/2025" (es, pt) or "Nov 2025" (en)."""
    year, _, month = str(text).partition("-")
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        return str(text)
    return f"{_MONTHS_EN[int(month) - 1]} {year}" if language == "en" else f"{month}/{year}"


def eta(iso: object, language: str) -> str:
    """When service should be back, in UTC when the time is zoned (the customer's zone is not
    known here)."""
    moment = datetime.fromisoformat(str(iso))
    zone = ""
    if moment.tzinfo is not None:
        moment, zone = moment.astimezone(UTC), " (UTC)"
    shown = day(moment.date().isoformat(), language)
    return say(language, "eta", date=shown, time=moment.strftime("%H:%M"), zone=zone)
