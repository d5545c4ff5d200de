"""The secrets sweep: plant credentials in the namespace, the data, the environment and a
prompt, run prompt cells in a real kernel against the Gemini test server, then grep everything
the project wrote or sent: request bodies, pins and cache files, the saved notebook's outputs
and metadata, and the kernel's logs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from badkit import Case, Router, always, code_reply, sequence
from gemini_server import FAKE_GEMINI_KEY, GeminiTestServer
from nbrun import errors_of, execute, make_notebook, text_of
from shells import fresh_cache

pytestmark = pytest.mark.kernel

SECRETS = {
    "google key in a variable": "AIzaSyC" + "s7" * 16,
    "password without a shape": "correct-horse-battery-staple-42",
    "token in a DataFrame cell": "ghp_" + "T0k3n" * 8,
    "token in the environment": "envtok-" + "e9" * 12,
    "the Gemini key in use": FAKE_GEMINI_KEY,
    "key typed into a prompt": "sk-" + "p4" * 15,
}

SETUP = f"""\
%load_ext jupyter_codegen
import pandas as pd
api_key = {SECRETS["google key in a variable"]!r}
db_password = {SECRETS["password without a shape"]!r}
users = pd.DataFrame({{'name': ['ann', 'bob'], 'token': [{SECRETS["token in a DataFrame cell"]!r}, 'none']}})
sales = pd.DataFrame({{'month': [1, 2, 3], 'revenue': [10.0, 20.5, 30.0]}})
"""  # noqa: E501

CASES = [
    Case("normal", "secrets", always(code_reply("print('total', sales['revenue'].sum())"))),
    Case("printkey", "secrets", always(code_reply("print(api_key)"))),
    Case(
        "tokenerror",
        "secrets",
        sequence(
            code_reply("raise ValueError('bad token ' + users.loc[0, 'token'])"),
            code_reply("print('fixed')"),
        ),
    ),
    Case(
        "finalerror",
        "secrets",
        always(code_reply("raise ValueError(users.loc[0, 'token'])")),
        flags="--max-fixes 0",
    ),
    Case("printdf", "secrets", always(code_reply("print(users)\nusers"))),
    Case(
        "envread",
        "secrets",
        always(code_reply("import os\nprint(os.environ['MY_SERVICE_TOKEN'])")),
    ),
    Case(
        "promptkey",
        "secrets",
        always(code_reply("print('ok')")),
        prompt=f"Call the API with key {SECRETS['key typed into a prompt']} please.",
    ),
    Case(
        "policyoff",
        "secrets",
        always(code_reply("print('password is', db_password)")),
        flags="--policy off",
    ),
]


def test_planted_secrets_appear_in_no_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    router = Router({case.tag: case for case in CASES})
    with GeminiTestServer(responder=router) as server:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        monkeypatch.setenv("MY_SERVICE_TOKEN", SECRETS["token in the environment"])
        fresh_cache(monkeypatch, tmp_path / "cache")
        monkeypatch.setenv("JUPYTER_CODEGEN_MODEL", "gemini-3.8-flash")
        monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
        monkeypatch.chdir(tmp_path)
        cells = [SETUP, *(case.source for case in CASES)]
        cells += ["%gemini context", "%gemini history", "%gemini status"]
        nb = execute(make_notebook(cells), tmp_path, timeout=60)
        requests = server.requests
    assert not errors_of(nb.cells[0]), text_of(nb.cells[0])
    assert "total 60.5" in text_of(nb.cells[1])  # the prompts did run
    assert "fixed" in text_of(nb.cells[3])
    assert len(requests) >= len(CASES)
    assert list((tmp_path / "cache").rglob("*.json")), "no pin was written: nothing to sweep"

    saved = tmp_path / "out.ipynb"
    nbformat.write(nb, saved)
    # What the user typed (cell sources) is theirs; everything else is ours.
    produced = json.loads(saved.read_text("utf-8"))
    for cell in produced["cells"]:
        cell["source"] = ""
    artifacts: dict[str, str] = {
        "notebook outputs and metadata": json.dumps(produced),
        "requests to the model": json.dumps(
            [[r.path, r.headers, r.body] for r in requests], ensure_ascii=False
        ),
        "kernel and test logs": "".join(capfd.readouterr()),
    }
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != saved:
            artifacts[f"file {path.relative_to(tmp_path)}"] = path.read_text("utf-8", "replace")
    leaks = [
        f"{what} found in {where}"
        for where, content in artifacts.items()
        for what, value in SECRETS.items()
        if value in content
    ]
    assert not leaks, leaks
    # The sweep looked at real content: the redaction marker shows where secrets were.
    assert "<redacted>" in artifacts["notebook outputs and metadata"]
    assert "<redacted>" in artifacts["requests to the model"]
