"""Every setting is documented in .env.example, and .env.example parses as it stands."""

from __future__ import annotations

import re
from pathlib import Path

from bots.settings import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def test_env_example_lists_exactly_the_settings_read() -> None:
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", EXAMPLE.read_text(), re.MULTILINE))
    read = {field.alias for field in Settings.model_fields.values()}
    assert documented == read


def test_env_example_as_a_dotenv_file_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.read_text())  # tests run in tmp_path
    settings = load_settings()
    assert settings == Settings(_env_file=None)
    assert settings.model_provider == "auto" and settings.anthropic_api_key is None
