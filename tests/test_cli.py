"""The `frontdesk` command as a user runs it: a real process, a real database file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_models import FakeModelServer
from tests.fake_models import text as model_text
from tests.fake_models import tool_call as model_tool_call

FRONTDESK = [sys.executable, "-m", "bots.cli"]
ROOT = Path(__file__).resolve().parents[1]


def _environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """The machine's environment without any frontdesk or vendor setting, plus `env`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FRONTDESK_", "SLACK_", "TWILIO_", "ANTHROPIC_", "OPENAI_"))
    }
    environment.update(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PYTHONPATH": str(ROOT), **env}
    )
    return environment


def _run(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        FRONTDESK + args,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(tmp_path, **env),
        timeout=120,
        check=False,
    )


def test_chat_serves_a_spanish_customer_from_billing_to_a_person(tmp_path: Path) -> None:
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    script = "hola\nquiero saber el saldo de mi factura\nquiero hablar con una persona\n"
    result = _run(["chat", "--phone", "+5215512345678"], tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    replies = [line for line in lines if line.startswith("[")]
    assert len(replies) == 3, result.stdout
    assert replies[1].startswith("[billing · es]")
    billing_answer = result.stdout.split(replies[1], 1)[1].split(replies[2], 1)[0]
    assert "499.00 MXN" in billing_answer and "pendiente" in billing_answer
    assert any(line.startswith("  ↪ router → billing") for line in lines), result.stdout
    assert replies[2].startswith("[system · es] Gracias por tu paciencia")
    assert "  (conversation is now waiting_human)" in lines


def test_handback_returns_an_escalated_conversation_to_the_bot(tmp_path: Path) -> None:
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    chat = _run(["chat", "--language", "es"], tmp_path, stdin="quiero hablar con una persona\n")
    assert "(conversation is now waiting_human)" in chat.stdout
    result = _run(["handback", "1"], tmp_path)
    assert (result.returncode, result.stdout) == (0, "conversation 1 is back with the bot\n")
    unknown = _run(["handback", "99"], tmp_path)
    assert (unknown.returncode, unknown.stderr) == (1, "frontdesk: no escalated conversation 99\n")
    again = _run(["handback", "1"], tmp_path)  # it is with the bot already
    assert again.returncode == 1


def test_a_malformed_database_url_is_one_line_without_the_url(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], tmp_path, DATABASE_URL="nosuchdb://user:hunter2@host/x")
    assert result.returncode == 2
    assert result.stderr == (
        "frontdesk: DATABASE_URL is not a usable database URL (NoSuchModuleError)\n"
    )


def test_chat_refuses_an_unmigrated_database_in_one_line(tmp_path: Path) -> None:
    result = _run(["chat"], tmp_path, stdin="hi\n")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "frontdesk: the database is not migrated: run `frontdesk db upgrade`"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FRONTDESK_DEBOUNCE_SECONDS", "soon", "FRONTDESK_DEBOUNCE_SECONDS"),
        ("FRONTDESK_MODEL_PROVIDER", "gpt", "FRONTDESK_MODEL_PROVIDER"),
        ("FRONTDESK_DEFAULT_LANGUAGE", "fr", "FRONTDESK_DEFAULT_LANGUAGE"),
    ],
)
def test_malformed_setting_stops_startup_with_one_line(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = _run(["db", "upgrade"], tmp_path, **{name: value})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("frontdesk: invalid setting ") and message in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("vendor", "env"),
    [
        ("anthropic", {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": "{url}"}),
        ("openai", {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": "{url}/v1"}),
    ],
)
async def test_chat_talks_to_a_real_provider_when_its_key_is_set(
    tmp_path: Path, vendor: str, env: dict[str, str]
) -> None:
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    async with FakeModelServer() as fake:
        fake.script(
            vendor,
            model_tool_call("transfer_to_billing", reason="invoice"),
            model_tool_call("list_invoices"),
            model_text("Tu saldo pendiente es de 499.00 MXN."),
        )
        environment = {name: value.format(url=fake.url) for name, value in env.items()}
        process = await asyncio.create_subprocess_exec(
            *FRONTDESK, "chat", "--phone", "+5215512345678",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=tmp_path, env=_environment(tmp_path, **environment),
        )  # fmt: skip
        out, err = await asyncio.wait_for(
            process.communicate(b"sobre lo de la semana pasada\n"), 120
        )
    assert process.returncode == 0, err.decode()
    assert "[billing · es] Tu saldo pendiente es de 499.00 MXN." in out.decode()
    assert "  ↪ router → billing" in out.decode()
    requests = [
        r
        for r in fake.requests
        if r.headers.get("Authorization", "").endswith("test-key")
        or r.headers.get("X-Api-Key") == "test-key"
    ]
    assert len(requests) == 3  # routed, then billing called a tool, then billing answered
    assert "test-key" not in out.decode() + err.decode()


def test_staff_accounts_are_added_listed_and_removed(tmp_path: Path) -> None:
    assert _run(["db", "upgrade"], tmp_path).returncode == 0
    added = _run(
        ["staff", "add", "Ana@Example.com", "--name", "Ana Souza", "--slack-user", "U0ANA"],
        tmp_path,
        stdin="correct horse battery\n",
    )
    assert (added.returncode, added.stdout) == (
        0,
        "added ana@example.com (Ana Souza); sign in at /inbox\n",
    )
    twice = _run(["staff", "add", "ana@example.com"], tmp_path, stdin="another password\n")
    assert (twice.returncode, twice.stderr) == (
        1,
        "frontdesk: ana@example.com already has an account\n",
    )
    short = _run(["staff", "add", "bo@example.com"], tmp_path, stdin="short\n")
    assert short.returncode == 2 and "8 characters" in short.stderr
    listed = _run(["staff", "list"], tmp_path)
    assert listed.stdout == "ana@example.com  Ana Souza  slack:U0ANA\n"
    assert "correct horse" not in added.stdout + added.stderr + listed.stdout
    assert _run(["staff", "remove", "ana@example.com"], tmp_path).returncode == 0
    assert _run(["staff", "list"], tmp_path).stdout == ""
    gone = _run(["staff", "remove", "ana@example.com"], tmp_path)
    assert (gone.returncode, gone.stderr) == (1, "frontdesk: no account for ana@example.com\n")


def test_router_train_writes_a_model_from_an_operators_file(tmp_path: Path) -> None:
    rows = [
        {"text": f"{words} {n}", "label": label}
        for n in range(10)
        for words, label in (
            ("precio del plan", "sales"),
            ("sin internet", "support"),
            ("mi factura", "billing"),
            ("quiero un gerente", "human"),
            ("hola", "none"),
        )
    ]
    data = tmp_path / "mine.jsonl"
    data.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    out = tmp_path / "model.npz"
    result = _run(["router", "train", str(data), "--replace", "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "trained on 50 messages" in result.stdout and out.exists()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hola"}\n', encoding="utf-8")
    refused = _run(["router", "train", str(bad), "--out", str(out)], tmp_path)
    assert refused.returncode == 2 and "bad.jsonl:1" in refused.stderr
