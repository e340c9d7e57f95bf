"""Run every ```python block of README.md and docs/*.md, so that no documented snippet rots.

The blocks of one file run in order in one namespace, like a reader pasting them into one
Python session, inside a temporary working directory. A block preceded by a line
``<!-- no-test: reason -->`` is skipped (only for code that cannot run here, e.g. on a GPU).
docs/ops.md is generated from the op database (tests/test_docs.py checks it) and has no code.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GENERATED = {"ops.md"}
FILES = [ROOT / "README.md"] + sorted(p for p in (ROOT / "docs").glob("*.md")
                                      if p.name not in GENERATED)
NO_TEST = re.compile(r"^<!--\s*no-test\b:?\s*(.*?)\s*-->$")

# Blocks known to fail, by (file, first line of the block), with why; they are expected to
# fail (strictly: once a block runs, its entry must go). Keep this short, and empty if you can.
KNOWN_FAILING: dict[tuple[str, str], str] = {}


@dataclass
class Block:
    file: Path
    line: int          # 1-based line of the first code line in the file
    code: str
    skip: str | None   # the no-test reason, or None


def extract(path: Path) -> list[Block]:
    """The ```python blocks of a Markdown file, with the line each starts on."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if re.match(r"^```(python|py)\s*$", lines[i]):
            start = i + 1
            end = start
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if end == len(lines):
                raise AssertionError(f"{path.name}:{i + 1}: unterminated ```python block")
            prev = next((s.strip() for s in reversed(lines[:i]) if s.strip()), "")
            marker = NO_TEST.match(prev)
            skip = (marker.group(1) or "marked no-test") if marker else None
            blocks.append(Block(path, start + 1, "\n".join(lines[start:end]) + "\n", skip))
            i = end
        i += 1
    return blocks


def _name(block: Block) -> str:
    return f"{block.file.relative_to(ROOT)}:{block.line}"


BLOCKS = [b for f in FILES for b in extract(f)]


def run_file(path: Path) -> dict[str, tuple[str, str]]:
    """Run the blocks of ``path`` in order in one namespace; map block name -> (status, text)."""
    import numtorch

    numtorch.manual_seed(0)
    namespace = {"__name__": "__doc_snippets__"}
    results: dict[str, tuple[str, str]] = {}
    for block in extract(path):
        if block.skip is not None:
            results[_name(block)] = ("skip", block.skip)
            continue
        out = io.StringIO()
        try:
            # pad with blank lines so that tracebacks give the line in the .md file
            code = compile("\n" * (block.line - 1) + block.code, str(path), "exec")
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("ignore")   # e.g. anomaly mode's "slows training" note
                exec(code, namespace)
            results[_name(block)] = ("ok", out.getvalue())
        except Exception:
            results[_name(block)] = ("error", out.getvalue() + traceback.format_exc())
    return results


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every block's outcome, from one fresh interpreter (so that snippets that change global
    state, such as grad mode, check modes or the default dtype, touch no other test), each
    file's blocks in their own namespace and their own empty folder."""
    workdir = tmp_path_factory.mktemp("doc_snippets")
    report = workdir / "outcomes.json"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, str(report), *map(str, FILES)],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and report.exists(), (
        f"the snippet runner crashed:\n{proc.stdout}\n{proc.stderr}")
    return {k: tuple(v) for k, v in json.loads(report.read_text()).items()}


def test_every_doc_file_is_scanned():
    names = {p.name for p in FILES}
    assert {"README.md", "seed_guide.md", "differences.md", "custom_functions.md"} <= names
    assert len(BLOCKS) >= 10, [_name(b) for b in BLOCKS]


def test_extract_finds_blocks_lines_and_markers(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("text\n```python\na = 1\n```\n\n<!-- no-test: needs a GPU -->\n"
                  "```python\nb = 2\nc = 3\n```\n```sh\nls\n```\n")
    blocks = extract(md)
    assert [(b.line, b.code, b.skip) for b in blocks] == [
        (3, "a = 1\n", None), (8, "b = 2\nc = 3\n", "needs a GPU")]


def test_runner_shares_names_within_a_file_and_reports_errors(tmp_path, monkeypatch):
    md = tmp_path / "x.md"
    md.write_text("```python\na = 2\n```\n```python\nprint(a * 3)\n```\n"
                  "```python\nundefined_name\n```\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    results = run_file(md)
    assert results["x.md:2"] == ("ok", "")
    assert results["x.md:5"] == ("ok", "6\n")
    status, detail = results["x.md:8"]
    assert status == "error" and "NameError" in detail and "x.md\", line 8" in detail, detail


@pytest.mark.parametrize("block", BLOCKS, ids=_name)
def test_doc_snippet_runs(block, outcomes):
    status, detail = outcomes[_name(block)]
    if status == "skip":
        pytest.skip(detail)
    first_line = block.code.splitlines()[0].strip() if block.code.strip() else ""
    known = KNOWN_FAILING.get((block.file.name, first_line))
    if known:
        assert status == "error", (f"{_name(block)} now runs: remove it from KNOWN_FAILING "
                                   f"in tests/test_doc_snippets.py")
        pytest.xfail(known)
    assert status == "ok", f"the snippet at {_name(block)} failed:\n{detail}"


def _main(report: str, *paths: str) -> None:
    results: dict[str, tuple[str, str]] = {}
    root = Path.cwd()
    for path in map(Path, paths):
        folder = root / path.stem
        folder.mkdir()
        os.chdir(folder)
        results.update(run_file(path.resolve()))
    Path(report).write_text(json.dumps(results))


if __name__ == "__main__":  # the runner behind the `outcomes` fixture: REPORT.json FILE.md...
    _main(*sys.argv[1:])
