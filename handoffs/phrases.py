"""What the switchboard itself says to customers, in each language it speaks."""

from __future__ import annotations

_PHRASES: dict[str, dict[str, str]] = {
    "escalated": {
        "en": "Thanks for your patience. I've passed your conversation to a person on our team; "
        "they will follow up here shortly.",
        "es": "Gracias por tu paciencia. Pasé tu conversación a una persona de nuestro equipo; "
        "te contactará por aquí en breve.",
        "pt": "Obrigado pela paciência. Passei sua conversa para uma pessoa da nossa equipe; "
        "ela vai te responder por aqui em breve.",
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


def phrase(key: str, language: str) -> str:
    """The phrase `key` in `language`, or in English when that language has none."""
    variants = _PHRASES[key]
    return variants.get(language, variants["en"])
