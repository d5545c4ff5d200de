"""The time limit's watchdog: one thread for the process, no late interrupts, nested limits."""

from __future__ import annotations

import threading

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_codegen.kernel import executor


@pytest.fixture
def shell():
    sh = InteractiveShell.instance()
    sh.reset(new_session=False)
    return sh


def _watchdogs() -> int:
    return sum(t.name == "codegen-time-limit" for t in threading.enumerate())


def test_many_runs_share_one_watchdog_thread(shell):
    for i in range(50):
        assert executor.run_code(shell, f"v = {i}", timeout=30).ok
    assert shell.user_ns["v"] == 49
    assert _watchdogs() == 1


def test_time_out_then_the_next_run_is_not_hit_by_a_late_interrupt(shell):
    stopped = executor.run_code(shell, "while True:\n    pass", timeout=0.2)
    assert stopped.timed_out and not stopped.ok
    after = executor.run_code(shell, "total = sum(range(3_000_000))", timeout=30)
    assert after.ok and shell.user_ns["total"] == sum(range(3_000_000))


@pytest.mark.parametrize("earlier", [300, 0.05])
def test_a_limit_fires_whatever_deadline_the_watchdog_last_slept_until(shell, earlier):
    # The watchdog is woken only for a deadline before the one it sleeps until: after a long
    # limit it must be woken for a short one; after a short one it wakes by itself, finds that
    # limit gone and sleeps until the next.
    assert executor.run_code(shell, "v = 1", timeout=earlier).ok
    stopped = executor.run_code(shell, "while True:\n    pass", timeout=0.3)
    assert stopped.timed_out and not stopped.ok


def test_an_inner_limit_does_not_disarm_the_outer_one():
    with pytest.raises(KeyboardInterrupt), executor._time_limit(0.2) as outer:
        with executor._time_limit(30):
            pass
        while True:
            pass
    assert outer.fired.is_set()


def test_a_failed_run_closes_the_figures_it_opened_and_leaves_the_users_open(shell):
    import matplotlib.pyplot as plt

    plt.close("all")
    mine = plt.figure()
    failed = executor.run_code(shell, "import matplotlib.pyplot as plt\nplt.figure()\n1 / 0")
    assert not failed.ok
    assert plt.get_fignums() == [mine.number]
    drew = executor.run_code(shell, "import matplotlib.pyplot as plt\nplt.figure(); plt.plot([1])")
    assert drew.ok and len(drew.opened) == 1 and mine not in drew.opened
    executor.close_figures(drew.opened)
    assert plt.get_fignums() == [mine.number]
    plt.close("all")
