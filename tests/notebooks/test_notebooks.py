"""The example notebooks run top to bottom against the demo database, as an analyst would.

Each notebook is executed by a real Jupyter kernel (the venv's "python3" ipykernel) with
LAB_DATABASE_URL pointing at a demo database built here, so a change that breaks the
notebook API breaks the build. The committed notebooks must carry no outputs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from lab import db, demo

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["pilot_readout.ipynb", "planning.ipynb", "portfolio_review.ipynb"]
CELL_TIMEOUT = 120  # seconds; a cell that takes longer is a bug, not a slow machine


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> Iterator[str]:
    """Build the demo database once for all the notebooks (as `lab demo --no-serve`)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'lab-demo.sqlite'}"
    demo.build(url)
    db.engine_for(url).dispose()  # the kernels open their own connections
    yield url


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name):
    notebook = read(name)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_documents_its_database_first(name):
    first = read(name).cells[0]
    assert first.cell_type == "markdown" and "LAB_DATABASE_URL" in first.source


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_against_the_demo_database(name, demo_url, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    # The kernel inherits this process's environment; its charts go inline, as in Jupyter.
    monkeypatch.setenv("LAB_DATABASE_URL", demo_url)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    notebook = read(name)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.output_type == "error"]
    assert errors == []
    # Charts were drawn, not only tables printed.
    images = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if "image/png" in output.get("data", {})]
    assert images, f"{name} drew no chart"


def test_kernel_is_this_interpreter():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    argv0 = spec.argv[0]
    assert argv0 in ("python", sys.executable) or Path(argv0).resolve() == Path(
        sys.executable).resolve(), argv0
    assert os.path.exists(sys.executable)
