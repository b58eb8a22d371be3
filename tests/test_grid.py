"""ufm_sym.grid: the grid format, seeds, the cache and the task runner."""

from __future__ import annotations

import pytest

from ufm_sym import Problem
from ufm_sym.grid import (
    Cache,
    cell_problem,
    cell_seed,
    derived_seed,
    load_toml,
    problem_cells,
    run_tasks,
)
from ufm_sym.model import UFMInputError


def test_product_and_cells() -> None:
    data = {"grid": {"loss": ["ce", "mse"], "K": [2], "n": [1], "d": [1, 2]},
            "cells": [{"loss": "ce", "K": 3, "n": 1, "seed": 4}]}
    cells = problem_cells(data, {"seed"})
    assert len(cells) == 5 and cells[-1]["seed"] == 4
    p = cell_problem(cells[1])
    assert (p.loss, p.d, str(p.lambda_W), p.lambda_b) == ("ce", 2, "1/100", 0)
    assert cell_seed(cells[-1], 0, p) == 4
    assert cell_seed(cells[0], 0, p) == derived_seed(0, p) != derived_seed(1, p)


@pytest.mark.parametrize("data, msg", [
    ({}, "no cells"),
    ({"grid": {"loss": ["ce"], "K": [2]}}, "lacks 'n'"),
    ({"grid": {"colour": [1]}}, "unknown [grid] key(s) ['colour']"),
    ({"grid": {"loss": []}}, "[grid] loss is an empty list"),
    ({"cells": [{"loss": "ce", "K": 2, "n": 1, "x": 1}]}, "unknown [[cells]] key(s) ['x']"),
])
def test_bad_grids(data, msg) -> None:
    with pytest.raises(UFMInputError) as e:
        problem_cells(data, {"seed"})
    assert msg in str(e.value)


def test_load_toml_and_cache(tmp_path) -> None:
    g = tmp_path / "g.toml"
    g.write_text("seed = 1\n[grid]\nloss = ['ce']\n")
    assert load_toml(g, {"seed", "grid"})["seed"] == 1
    with pytest.raises(UFMInputError, match="unknown key"):
        load_toml(g, {"grid"})
    c = Cache(tmp_path / "c")
    assert c.get("k") is None
    c.put("k", {"a": [1, 2]})
    assert c.get("k") == {"a": [1, 2]}
    assert not list((tmp_path / "c").glob("*.tmp"))


def test_run_tasks_serial_and_processes() -> None:
    assert list(run_tasks(pow, [2, 3], 2, progress=False)) == [(0, 4), (1, 9)]
    pytest.importorskip("joblib")
    assert list(run_tasks(pow, [2, 3], 3, jobs=2, progress=False)) == [(0, 8), (1, 27)]
    assert list(run_tasks(pow, [], 3)) == []
    assert Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1)  # imports stay light
