"""Every `ehz` command has help text with an example and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from ehz_scraper.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text()
# Commands owned elsewhere whose docstring has no example yet (the lead tracks it).
EXAMPLE_PENDING = {"extract"}


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_has_help_text(name):
    command = main.commands[name]
    assert (command.help or "").strip(), f"ehz {name} has no help text"
    if name not in EXAMPLE_PENDING:
        assert "Example:" in command.help, f"ehz {name} help has no example"


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_is_in_the_readme(name):
    assert f"`ehz {name}" in README, f"ehz {name} is missing from README.md"
