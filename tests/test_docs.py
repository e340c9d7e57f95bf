"""docs/ops.md is generated from the op database and must be kept up to date."""
from __future__ import annotations

import gen_ops_doc


def test_ops_doc_is_up_to_date():
    assert gen_ops_doc.DOC.read_text() == gen_ops_doc.render(), (
        "docs/ops.md is stale: run `python tests/gen_ops_doc.py` (make docs)")


def test_ops_doc_lists_every_group():
    text = gen_ops_doc.render()
    for group in gen_ops_doc.GROUPS:
        assert f"## {group}" in text
