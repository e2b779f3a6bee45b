"""Every collaboration refusal is documented in docs/collab.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from p2pvalue.collab.service import COLLAB_REFUSALS

DOC = Path(__file__).parent.parent.parent / "docs" / "collab.md"


@pytest.mark.parametrize("code", sorted(COLLAB_REFUSALS))
def test_every_collab_refusal_is_documented(code: str) -> None:
    assert f"`{code}`" in DOC.read_text()
