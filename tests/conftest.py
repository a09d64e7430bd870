"""Shared fixtures."""

import json

import pytest


@pytest.fixture
def run_quick(tmp_path):
    """Run a lab experiment in quick mode; check its files; return its result and numbers."""

    def run(name, seed=0):
        from mlplab.lab import EXPERIMENTS

        result = EXPERIMENTS.get(name)(tmp_path / name, quick=True, seed=seed)
        folder = tmp_path / name
        assert result.figures, f"{name} drew no figure"
        for figure in result.figures:
            data = (folder / figure.file).read_bytes()
            assert data.startswith(b"\x89PNG") and len(data) > 2000, figure.file
            assert figure.caption
        assert result.claims, f"{name} stated no claim"
        numbers = json.loads((folder / "numbers.json").read_text())
        assert numbers == json.loads((folder / "result.json").read_text())["numbers"]
        return result, numbers

    return run
