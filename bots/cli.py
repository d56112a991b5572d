"""The `frontdesk` command: serve, chat, db upgrade, staff, handback, router train."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agents.errors import ConfigurationError, FrontdeskError
from agents.routing.model import default_model_path
from agents.routing.train import default_data_dir, read_examples, train
from bots.settings import Settings, load_settings
from bots.staff_cli import add_commands as add_staff_commands
from bots.staff_cli import run_handback, run_staff

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger("frontdesk")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API and channel webhooks")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    chat = commands.add_parser("chat", help="talk to the agents in the terminal as a customer")
    chat.add_argument("--phone", help="customer phone in E.164, e.g. +5215512345678")
    chat.add_argument("--language", choices=("en", "es", "pt"), help="customer language prior")

    add_staff_commands(commands)

    router = commands.add_parser("router", help="the local routing classifier")
    router_commands = router.add_subparsers(dest="router_command", required=True)
    train = router_commands.add_parser(
        "train", help="retrain on your labelled messages (JSONL: text, label) plus the shipped ones"
    )
    train.add_argument("file", type=Path)
    train.add_argument("--replace", action="store_true", help="train on FILE alone")
    train.add_argument("--out", type=Path, default=None, help="artifact (default: the shipped one)")
    db = commands.add_parser("db", help="database commands")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply every pending migration")
    return parser


def _configure_logging(settings: Settings, *, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    # httpx logs every request URL at INFO; keep it to warnings so tokens in URLs never show.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; a configuration problem is one line on stderr and exit status 2."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        _configure_logging(settings, quiet=args.command == "chat")
        if args.command == "router":
            return _router_train(args.file, replace=args.replace, out=args.out)
        if args.command == "db":
            return _db_upgrade(settings)
        if args.command == "handback":
            return _with_store(settings, lambda store: run_handback(store, args.conversation_id))
        if args.command == "staff":
            return _with_store(settings, lambda store: run_staff(store, args))
        if args.command == "chat":
            return _chat(settings, phone=args.phone, language=args.language)
        return _serve(settings, host=args.host, port=args.port)
    except ConfigurationError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 2
    except FrontdeskError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 1


def _router_train(file: Path, *, replace: bool, out: Path | None) -> int:
    """Retrain the routing classifier and print what its own out-of-fold predictions show."""
    examples = read_examples(file)
    if not replace:
        examples = read_examples(default_data_dir()) + examples
    model, report = train(examples)
    target = out or default_model_path()
    model.save(target)
    t = report.thresholds
    print(
        f"trained on {report.examples} messages ({report.features} features) -> {target}\n"
        f"out of fold: accuracy {report.accuracy:.1%}, local tier covers {report.coverage:.1%} "
        f"at {report.precision:.1%} precision, human recall {report.human_recall:.1%}, "
        f"false escalations {report.false_escalation:.1%}\n"
        f"thresholds: route {t.route}, human {t.human}, handoff {t.handoff}"
    )
    return 0


def _db_upgrade(settings: Settings) -> int:
    store = _store(settings)
    try:
        store.migrate()
    except Exception as exc:
        raise ConfigurationError(f"cannot migrate {store.url}: {_first_line(exc)}") from exc
    print(f"database at {store.url} is up to date")
    return 0


def _with_store(settings: Settings, command: Callable[[Store], int]) -> int:
    """Run a command on the migrated database, then release it."""
    _require_schema(settings)
    store = _store(settings)
    try:
        return command(store)
    finally:
        store.close()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _store(settings: Settings) -> Store:
    from storage.store import Store

    try:
        return Store.open(settings.database_url)
    except Exception as exc:
        # The URL may hold a password: name the setting, not its value.
        raise ConfigurationError(
            f"DATABASE_URL is not a usable database URL ({exc.__class__.__name__})"
        ) from exc


def _require_schema(settings: Settings) -> None:
    store = _store(settings)
    try:
        behind = store.needs_migration()
    except Exception as exc:
        raise ConfigurationError(
            f"cannot reach DATABASE_URL {store.url}: {_first_line(exc)}"
        ) from exc
    finally:
        store.close()
    if behind:
        raise ConfigurationError("the database is not migrated: run `frontdesk db upgrade`")


def _serve(settings: Settings, *, host: str, port: int) -> int:
    import uvicorn

    from bots.app import create_app

    _require_schema(settings)
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())
    return 0


def _chat(settings: Settings, *, phone: str | None, language: str | None) -> int:
    from bots.console import main_stdin, run_chat
    from bots.service import build_service

    _require_schema(settings)
    # The console waits for each answer before the next line, so there is no burst to batch.
    service = build_service(settings.model_copy(update={"debounce_seconds": 0.0}))
    asyncio.run(
        run_chat(service, phone=phone, language=language, stdin=main_stdin(), out=sys.stdout)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
