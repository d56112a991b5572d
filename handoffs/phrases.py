"""What the switchboard itself says to customers, in each language it speaks."""

from __future__ import annotations

from datetime import datetime

_PHRASES: dict[str, dict[str, str]] = {
    "escalated": {
        "en": "Thanks for your patience. I've passed your conversation to a person on our team; "
        "they usually reply here within {minutes} minutes.",
        "es": "Gracias por tu paciencia. Pasé tu conversación a una persona de nuestro equipo; "
        "normalmente responde por aquí en menos de {minutes} minutos.",
        "pt": "Obrigado pela paciência. Passei sua conversa para uma pessoa da nossa equipe; "
        "normalmente ela responde por aqui em até {minutes} minutos.",
    },
    "escalated_closed": {
        "en": "Thanks for your patience. I've passed your conversation to a person on our team. "
        "We're closed right now; they will reply here when we're back, {when}.",
        "es": "Gracias por tu paciencia. Pasé tu conversación a una persona de nuestro equipo. "
        "Ahora estamos fuera de horario; te responderá por aquí cuando volvamos, {when}.",
        "pt": "Obrigado pela paciência. Passei sua conversa para uma pessoa da nossa equipe. "
        "Estamos fora do horário agora; ela vai te responder por aqui quando voltarmos, {when}.",
    },
    "empty": {
        "en": "I didn't catch any text in your message. Could you write your question?",
        "es": "No recibí texto en tu mensaje. ¿Podrías escribir tu pregunta?",
        "pt": "Não recebi nenhum texto na sua mensagem. Você pode escrever sua pergunta?",
    },
    "failed": {
        "en": "Sorry, something went wrong on our side. A person from our team will follow up.",
        "es": "Lo siento, algo salió mal de nuestro lado. Una persona de nuestro equipo te "
        "responderá.",
        "pt": "Desculpe, algo deu errado do nosso lado. Uma pessoa da nossa equipe vai te "
        "responder.",
    },
}


_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado",
           "el domingo"),
    "pt": ("na segunda-feira", "na terça-feira", "na quarta-feira", "na quinta-feira",
           "na sexta-feira", "no sábado", "no domingo"),
}  # fmt: skip
_AT = {"en": "{day} at {time}", "es": "{day} a las {time}", "pt": "{day} às {time}"}


def phrase(key: str, language: str, **values: object) -> str:
    """The phrase `key` in `language` (English when that language has none), filled in."""
    variants = _PHRASES[key]
    text = variants.get(language, variants["en"])
    return text.format(**values) if values else text


def escalation_notice(language: str, *, back_at: datetime | None, wait_minutes: int) -> str:
    """What the customer is told once when a person takes over: the usual wait, or, out of
    hours, when the team is back (in the team's local time)."""
    if back_at is None:
        return phrase("escalated", language, minutes=wait_minutes)
    days = _WEEKDAYS.get(language, _WEEKDAYS["en"])
    when = _AT.get(language, _AT["en"]).format(
        day=days[back_at.weekday()], time=back_at.strftime("%H:%M")
    )
    return phrase("escalated_closed", language, when=when)
