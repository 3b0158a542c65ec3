"""The docs keep up with the code: every `ehz` command has help with an example and a section
in docs/cli.md naming its options; the README stays short; no link between the docs is dead."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from ehz_scraper.cli import main

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"
README_MAX_BYTES = 9_000  # issue 9: what ehz is, set-up, everyday commands, links


def all_commands(group: click.Group, prefix: str = "ehz") -> dict[str, click.Command]:
    """Every command under `group`, subcommands of subgroups included, by full name."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        found[full] = command
        if isinstance(command, click.Group):
            found.update(all_commands(command, full))
    return found


def cli_doc_sections(text: str) -> dict[str, str]:
    """docs/cli.md's sections by the command in their heading (## `ehz NAME`)."""
    parts = re.split(r"^## `(ehz[^`]*)`\s*$", text, flags=re.MULTILINE)
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


COMMANDS = all_commands(main)
SECTIONS = cli_doc_sections(CLI_DOC.read_text())


def long_options(command: click.Command) -> list[str]:
    """The `--name` of every option (its first long form), `--help` aside."""
    names = []
    for param in command.params:
        if isinstance(param, click.Option):
            forms = param.opts + param.secondary_opts
            names.append(next(opt for opt in forms if opt.startswith("--")))
    return names


def test_the_cli_has_commands():
    # An import that registered nothing would make every test below pass vacuously.
    assert {"ehz extract", "ehz search", "ehz verify"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_help_text(name):
    command = COMMANDS[name]
    assert (command.help or "").strip(), f"{name} has no help text"
    assert "Example:" in command.help, f"{name} help has no example"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_a_section_in_cli_doc(name):
    assert name in SECTIONS, f"{name} has no section (## `{name}`) in docs/cli.md"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_doc_section_has_an_example(name):
    body = SECTIONS.get(name, "")
    examples = re.findall(r"```sh\n(.*?)```", body, flags=re.DOTALL)
    assert any(line.startswith(name) for block in examples for line in block.splitlines()), (
        f"docs/cli.md has no ```sh example of {name}"
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_doc_section_names_every_option(name):
    body = SECTIONS.get(name, "")
    # `--db` must not count as `--db-path`, nor `--all` as `--all-pages`.
    missing = [
        opt
        for opt in long_options(COMMANDS[name])
        if not re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", body)
    ]
    assert missing == [], f"docs/cli.md's section on {name} does not mention {missing}"


def test_cli_doc_documents_no_command_that_is_gone():
    assert sorted(set(SECTIONS) - set(COMMANDS)) == []


def test_readme_is_short_and_starts_with_the_set_up():
    text = README.read_text()
    assert len(text.encode()) <= README_MAX_BYTES
    first_block = re.search(r"```sh\n(.*?)```", text, flags=re.DOTALL).group(1)
    assert [line.split()[:2] for line in first_block.splitlines()[:2]] == [
        ["make", "crawl"],
        ["make", "test"],
    ]


MARKDOWN = [README, *sorted((ROOT / "docs").glob("*.md"))]


def anchors(doc: Path) -> set[str]:
    """The #fragments GitHub gives the headings of `doc` (code blocks skipped)."""
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.DOTALL)
    headings = re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("doc", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files_and_headings(doc):
    links = re.findall(r"\]\(([^)\s]+)\)", doc.read_text())
    dead = []
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue  # https:, mailto:
        path, _, fragment = link.partition("#")
        target = doc.parent / path if path else doc
        if not target.exists() or (fragment and fragment not in anchors(target)):
            dead.append(link)
    assert dead == []
