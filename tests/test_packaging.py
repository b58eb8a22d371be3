"""The package list of pyproject.toml covers every package folder, and the proofs
install under their own import name (``ufm_sym_proofs``), not as a top-level ``proofs``."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_listed() -> None:
    listed = set(_config()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "ufm_sym").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    assert found - listed == set(), f"package folders missing from pyproject: {found - listed}"
    assert "ufm_sym_proofs" in listed


def test_proofs_install_under_a_project_name() -> None:
    cfg = _config()
    assert cfg["tool"]["setuptools"]["package-dir"] == {"ufm_sym_proofs": "proofs"}
    assert "proofs" not in cfg["tool"]["setuptools"]["packages"]
    targets = cfg["project"]["entry-points"]["ufm_sym.proofs"].values()
    assert targets and all(t.startswith("ufm_sym_proofs.") for t in targets)


def test_proofs_import_by_their_name() -> None:
    import ufm_sym_proofs.section3 as s3

    assert Path(s3.__file__).resolve().parent == ROOT / "proofs"


def test_default_output_formats_need_only_base_dependencies() -> None:
    """The README's install (``pip install -e .``, no extras) runs every command in its
    default format: the graph's SVG/PNG/PDF and ``sample --plots`` draw with matplotlib,
    the appendix renders Jinja2 templates, the sampler limits BLAS threads with
    threadpoolctl; each is a base dependency, not an extra."""
    base = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower()
            for d in _config()["project"]["dependencies"]}
    assert {"matplotlib", "jinja2", "threadpoolctl", "python-flint", "tqdm"} <= base


def test_no_file_refers_to_a_document_outside_the_repository() -> None:
    """The mathematics the code relies on is in docs/math.md; no file points to notes that
    users never see (the working notes the reconstruction was made from)."""
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    outside = ("references-math", "seed-math", "/work/shared", "../shared", "shared/paper")
    bad = []
    for name in files:
        path = ROOT / name
        if name == "tests/test_packaging.py" or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        bad += [f"{name}: {o}" for o in outside if o in text]
    assert not bad, bad
    assert (ROOT / "docs" / "math.md").is_file()
