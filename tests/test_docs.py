"""The documentation keeps up with the code: every refusal code and CLI command is named."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.main import get_command

from p2pvalue.cli import app
from p2pvalue.governance.service import GOVERNANCE_REFUSALS

ROOT = Path(__file__).parent.parent
ERRORS = {"EventError", "P2PError", "NotFound", "Unauthorized", "Forbidden", "Conflict"}


def _refusal_codes() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "src" / "p2pvalue").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ERRORS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                codes.add(node.args[0].value)
    return codes


def _documentation() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text() for page in pages)


def test_codes_are_found() -> None:
    assert {"bad_signature", "unknown_prev", "event_too_large"} <= _refusal_codes()


@pytest.mark.parametrize("code", sorted(_refusal_codes()))
def test_every_refusal_code_is_documented(code: str) -> None:
    assert f"`{code}`" in _documentation()


@pytest.mark.parametrize("code", sorted(GOVERNANCE_REFUSALS))
def test_every_governance_refusal_is_documented(code: str) -> None:
    assert f"`{code}`" in (ROOT / "docs" / "governance.md").read_text()


@pytest.mark.parametrize("command", sorted(get_command(app).commands))  # type: ignore[attr-defined]
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert f"p2pvalue {command}" in (ROOT / "README.md").read_text()
