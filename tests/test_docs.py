"""Every document a file of the repository cites is in the repository, and every section it cites
is a heading there.

A citation is a path ending in ``.md`` or ``.rst`` anywhere in a text file (docstrings, comments,
config, report captions, Markdown links), optionally followed by ``#anchor``, e.g.
``docs/methods.md#causal-metrics`` or ``../README.md#method-choices``. It must name a file of the
repository, relative to the citing file's folder or to the repository root; an anchor into a
Markdown file must be the GitHub anchor of one of its headings. Markdown links within a document,
``[text](#anchor)``, are checked against its own headings. The names of the Markdown tables the
pipeline writes under ``results/`` (``summary.md``, ``findings.md``, ...) are outputs, not
documents, and are not citations.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from vaecausal.catalog import TABLE_FILES

ROOT = Path(__file__).resolve().parents[1]

CITATION = re.compile(
    r"(?<![\w{}<>/.-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:md|rst))(?:#([\w-]+))?(?![\w/])"
)
LOCAL_LINK = re.compile(r"\]\(#([\w-]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")

# Markdown files the pipeline writes (``stages/tables.py``): named in code and docs as outputs.
OUTPUTS = frozenset(
    {name for name in TABLE_FILES if name.endswith(".md")}
    # ``write_table``'s docstring: ``stem.csv`` and ``stem.md``, the pattern of what it writes
    | {"stem.md"}
)
NOT_IGNORED = ("--exclude-standard",)  # untracked files count unless git ignores them
# Folders that hold no file of the repository, when the file list cannot come from git.
NOT_REPOSITORY = frozenset(
    {".git", ".venv", "venv", ".snakemake", "__pycache__", ".pytest_cache", ".ruff_cache",
     ".mypy_cache", ".tox", "build", "dist", "node_modules", "shared"}
)  # fmt: skip


def repository_files(root: Path) -> list[Path]:
    """The repository's files: git's tracked and not-ignored ones where ``root`` is a git
    checkout, else every file outside build, cache and output folders (``results/`` holds only
    its README)."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", *NOT_IGNORED],
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
        if names:
            return sorted({root / name for name in names if (root / name).is_file()})
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            s for s in subfolders if s not in NOT_REPOSITORY and not s.endswith(".egg-info")
        ]
        relative = Path(folder).relative_to(root)
        if relative.parts[:1] == ("results",):
            names = [n for n in names if relative == Path("results") and n == "README.md"]
            subfolders[:] = []
        files += [Path(folder) / name for name in names]
    return sorted(files)


def text_of(path: Path) -> str | None:
    """A file's text, or None for a binary or very large file."""
    try:
        if path.stat().st_size > 2_000_000:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def slug(heading: str, seen: dict[str, int]) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation other than hyphens and
    underscores dropped, spaces as hyphens; a repeated anchor gets -1, -2, ..."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    anchor = text.replace(" ", "-")
    count = seen.get(anchor, 0)
    seen[anchor] = count + 1
    return anchor if count == 0 else f"{anchor}-{count}"


def anchors(markdown: str) -> set[str]:
    """The anchors of a Markdown text's headings (outside fenced code blocks)."""
    found, seen, fenced = set(), {}, False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (heading := HEADING.match(line)):
            found.add(slug(heading.group(1), seen))
    return found


def _resolve(root: Path, citing: Path, cited: str) -> Path | None:
    """The repository file a citation names, relative to the citing file or to the root."""
    for base in (citing.parent, root):
        target = (base / cited).resolve()
        if target.is_file() and target.is_relative_to(root.resolve()):
            return target
    return None


def citation_problems(root: Path, files: Iterable[Path]) -> list[str]:
    """'<file>:<line>: <problem>' for every cited document that is not in the repository, every
    anchor that is not a heading of the Markdown file it points into, and every link within a
    Markdown file to an anchor it lacks."""
    problems = []
    for path in files:
        text = text_of(path)
        if text is None:
            continue
        where = path.relative_to(root)
        own = anchors(text) if path.suffix == ".md" else set()
        for number, line in enumerate(text.splitlines(), 1):
            for match in CITATION.finditer(line):
                cited, anchor = match.groups()
                if Path(cited).name in OUTPUTS and _resolve(root, path, cited) is None:
                    continue
                target = _resolve(root, path, cited)
                if target is None:
                    problems.append(f"{where}:{number}: cites {cited}, not in the repository")
                elif anchor and target.suffix == ".md":
                    if anchor not in anchors(target.read_text(encoding="utf-8")):
                        problems.append(f"{where}:{number}: {cited} has no heading #{anchor}")
            if path.suffix == ".md":
                for anchor in LOCAL_LINK.findall(line):
                    if anchor not in own:
                        problems.append(f"{where}:{number}: links to #{anchor}, no such heading")
    return problems


def repository_citations(root: Path = ROOT) -> list[tuple[Path, str, str | None]]:
    """(citing file, cited path, anchor) of every citation in the repository."""
    found = []
    for path in repository_files(root):
        text = text_of(path)
        if text is not None:
            found += [(path, *m.groups()) for m in CITATION.finditer(text)]
    return found


def test_every_cited_document_and_section_is_in_the_repository():
    problems = citation_problems(ROOT, repository_files(ROOT))
    assert problems == [], "\n".join(problems)


def test_the_scan_sees_the_files_and_citations_it_guards():
    """The scan is not vacuous: it reads the files that cite the methods document and finds their
    citations, anchors included."""
    files = {p.relative_to(ROOT).as_posix() for p in repository_files(ROOT)}
    assert {"README.md", "config.yaml", "report/workflow.rst", "docs/methods.md"} <= files
    assert "vaecausal/metrics/causal.py" in files and "results/README.md" in files
    cited = {(p.relative_to(ROOT).as_posix(), c, a) for p, c, a in repository_citations(ROOT)}
    assert ("vaecausal/metrics/causal.py", "docs/methods.md", "causal-metrics") in cited
    assert ("config.yaml", "docs/methods.md", "factor-oracle") in cited
    assert ("report/workflow.rst", "docs/methods.md", None) in cited
    assert ("docs/methods.md", "../README.md", "method-choices") in cited


def test_a_made_up_citation_or_section_fails(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/methods.md").write_text(
        "# Methods\n\n## Causal metrics\n\nSee [CES](#causal-metrics) and [gone](#gone).\n"
        "```bash\n# not a heading\n```\n"
    )
    (tmp_path / "pkg").mkdir()
    missing, section = "nowhere" + ".md", "docs/methods" + ".md#no-such-section"
    (tmp_path / "pkg" / "module.py").write_text(
        f'"""Defined in docs/methods.md#causal-metrics, and in {missing}.\n\n'
        f'See {section}; the tables stage writes summary.md and findings.md."""\n'
    )
    (tmp_path / "config.yaml").write_text("# settings (../docs/methods.md is no path from here)\n")
    problems = citation_problems(tmp_path, repository_files(tmp_path))
    assert problems == [
        "config.yaml:1: cites ../docs/methods.md, not in the repository",
        "docs/methods.md:5: links to #gone, no such heading",
        f"pkg/module.py:1: cites {missing}, not in the repository",
        "pkg/module.py:3: docs/methods.md has no heading #no-such-section",
    ]


def test_anchors_follow_github():
    assert anchors(
        "# Methods\n## Finding i: CES-DCI trade-off\n### Deviations from disentanglement_lib\n"
        "### `code` and (notes)\n## Methods\n```\n# comment\n```\n"
    ) == {
        "methods",
        "finding-i-ces-dci-trade-off",
        "deviations-from-disentanglement_lib",
        "code-and-notes",
        "methods-1",
    }
