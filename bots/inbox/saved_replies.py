"""Saved replies: short answers in English, Spanish and Portuguese that staff insert into the
Reply box and edit before sending. A few defaults are added the first time none exist."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bots.inbox.formatting import LANGUAGE_LABELS
from bots.inbox.web import Inbox, SignedIn, Staff, StaffForm, form_text

PAGE = "/inbox/saved-replies"

# (language, title, text); {name} is the customer's first name, {me} the staff member's name.
DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("en", "Greeting", "Hi {name}, this is {me} from the team. I'm reading your messages now."),
    ("en", "Checking", "Thanks for your patience. I'm checking this and will write back shortly."),
    (
        "en",
        "Wrap-up",
        "Is there anything else I can help you with? If not, our assistant is here any time.",
    ),
    ("es", "Saludo", "Hola {name}, soy {me} del equipo. Ya estoy leyendo tus mensajes."),
    (
        "es",
        "Revisando",
        "Gracias por tu paciencia. Lo estoy revisando y te escribo en unos minutos.",
    ),
    (
        "es",
        "Cierre",
        "¿Hay algo más en lo que te pueda ayudar? Si no, nuestro asistente sigue aquí.",
    ),
    ("pt", "Saudação", "Olá {name}, aqui é {me} da equipe. Já estou lendo as suas mensagens."),
    (
        "pt",
        "Verificando",
        "Obrigado pela paciência. Estou verificando e te escrevo em alguns minutos.",
    ),
    (
        "pt",
        "Encerramento",
        "Posso ajudar com mais alguma coisa? Se não, nosso assistente continua aqui.",
    ),
)


def personal(text: str, *, customer: str | None, me: str) -> str:
    """Fill in {name} (the customer's first name, or nothing) and {me}."""
    first = (customer or "").split()[0] if (customer or "").strip() else ""
    filled = text.replace(" {name}", f" {first}" if first else "").replace("{name}", first)
    return filled.replace("{me}", me)


def saved_reply_routes(inbox: Inbox) -> APIRouter:
    """GET the list of saved replies, POST a new one."""
    router = APIRouter()

    async def page(
        request: Request, staff: Staff, *, error: str | None = None, status: int = 200
    ) -> Response:
        store = inbox.store
        replies = await store.run(store.saved_replies)
        if not replies:
            await store.run(store.seed_saved_replies, DEFAULTS)
            replies = await store.run(store.saved_replies)
        by_language = {
            code: [reply for reply in replies if reply.language == code] for code in LANGUAGE_LABELS
        }
        return inbox.render(
            request,
            "saved_replies.html",
            {"by_language": by_language, "error": error, "nav": "saved"},
            staff=staff,
            status=status,
        )

    @router.get(PAGE)
    async def list_replies(request: Request, staff: SignedIn) -> Response:
        return await page(request, staff)

    @router.post(PAGE)
    async def add_reply(request: Request, staff_and_form: StaffForm) -> Response:
        staff, form = staff_and_form
        language = form_text(form, "language")
        title = form_text(form, "title", limit=100).strip()
        text = form_text(form, "text", limit=4000).strip()
        if language not in LANGUAGE_LABELS or not title or not text:
            error = "A saved reply needs a language, a title and a text."
            return await page(request, staff, error=error, status=422)
        await inbox.store.run(inbox.store.save_reply, language, title, text)
        return RedirectResponse(PAGE, status_code=303)

    return router
