"""The policy against the mutation-based evasion corpus (tests/bad_inputs/evasion_corpus.py):
every evasion stays blocked, every benign look-alike stays allowed or only asks, and the
counts per family are printed with the run."""

from __future__ import annotations

import pytest
from evasion_corpus import BENIGN, USER_NAMES, corpus, table, tally

from jupyter_codegen.kernel.policy import check


def _judge(code: str, prompt: str) -> str | None:
    finding = check(code, USER_NAMES, policy="default", prompt=prompt)
    return finding.kind if finding else None


def test_every_evasion_in_the_corpus_is_blocked(capsys: pytest.CaptureFixture[str]) -> None:
    counts, missed = tally(_judge)
    with capsys.disabled():
        print(f"\npolicy evasion corpus (default policy):\n{table(counts)}")
    assert sum(sum(c.values()) for c in counts.values()) > 3000
    assert {"deserialization", "persistence"} <= set(counts)
    shown = "\n".join(f"{k}: {c.family} / {c.mutation}: {c.code!r}" for c, k in missed[:10])
    assert not missed, f"{len(missed)} cases got another decision than expected:\n{shown}"


def test_the_corpus_mutations_are_distinct_code() -> None:
    codes = [case.code for case in corpus()]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(("family", "code", "prompt", "want"), BENIGN, ids=[b[1] for b in BENIGN])
def test_benign_look_alikes_are_not_blocked(
    family: str, code: str, prompt: str, want: str | None
) -> None:
    finding = check(code, USER_NAMES, policy="default", prompt=prompt)
    assert (finding.kind if finding else None) == want, finding and finding.message()


def test_a_file_the_prompt_does_not_name_still_asks() -> None:
    code = "import pandas as pd\nd = pd.read_pickle('data.pkl')"
    assert _judge(code, "load data.pkl") is None
    assert _judge(code, "load the data") == "confirm"
    assert _judge(code, "load other.pkl") == "confirm"


def test_the_strict_policy_blocks_what_default_allows_by_the_prompt() -> None:
    code = "import pandas as pd\nd = pd.read_pickle('data.pkl')"
    finding = check(code, USER_NAMES, policy="strict", prompt="load data.pkl")
    assert finding is not None and finding.kind == "blocked"
