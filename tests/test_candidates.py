"""Candidates run in a fork of this (the pytest) process: what they read, print, raise and leave
behind comes back; nothing they do reaches the parent's namespace or its output; a child that
hangs, crashes or is interrupted is killed and reaped. Fingerprints agree on equal values
computed differently and differ on different ones."""

from __future__ import annotations

import copy
import math
import os
import select
import signal
import threading
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from jupyter_codegen.kernel.candidates import (
    NO_FORK_ENV,
    UNBOUND,
    can_isolate,
    fingerprint,
    kind_of,
    run_isolated,
)
from jupyter_codegen.kernel.executor import MAX_OUTPUT_CHARS

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

#: A limit no healthy run on a loaded 2-core machine comes near (a bound, never a wait).
LIMIT = 60.0


@pytest.fixture
def pid_pipe() -> Iterator[tuple[int, int]]:
    """(read, write) ends of a pipe the child inherits: a candidate writes its pid to ``W``."""
    read_end, write_end = os.pipe()
    yield read_end, write_end
    os.close(read_end)
    os.close(write_end)


def _reported_pid(read_end: int) -> int:
    ready, _, _ = select.select([read_end], [], [], LIMIT)
    assert ready, "the candidate never reported its pid"
    return int(os.read(read_end, 64))


def _children() -> set[int]:
    """Pids whose parent is this process (zombies included), from /proc."""
    me, found = str(os.getpid()), set()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                found.add(int(entry))
    return found


def _assert_reaped(pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert pid not in _children()


def test_the_namespace_is_read_and_never_changed() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    namespace = {"data": [1, 2, 3], "frame": frame, "count": 41, "gone": "here", "cfg": {"k": 1}}
    snapshot = copy.deepcopy({k: v for k, v in namespace.items() if k != "frame"})
    before = frame.copy()
    code = (
        "data.append(4)\nframe.loc[0, 'a'] = 99\nframe['c'] = frame['a'] * 2\n"
        "cfg['k'] = 2\ncount = count + 1\ndel gone\nfresh = len(data)"
    )
    run = run_isolated(
        namespace, code, names=["data", "count", "gone", "fresh", "frame"], timeout=LIMIT
    )
    assert run.ok, run.error_line
    assert run.values["data"] == "[1, 2, 3, 4]" and run.values["count"] == "42"
    assert run.values["gone"] == UNBOUND and run.kinds["gone"] == UNBOUND
    assert run.values["fresh"] == "4"
    assert run.values["frame"] == fingerprint(
        pd.DataFrame({"a": [99, 2], "b": [0.5, 1.5], "c": [198, 4]})
    )
    # The parent: same objects, same contents, no new names.
    assert namespace["frame"] is frame and list(frame.columns) == ["a", "b"]
    pd.testing.assert_frame_equal(frame, before)
    assert {k: v for k, v in namespace.items() if k != "frame"} == snapshot
    assert set(namespace) <= {"data", "frame", "count", "gone", "cfg", "__builtins__"}


def test_printed_text_and_the_final_expression_come_back_and_go_nowhere_else(
    capfd: pytest.CaptureFixture[str],
) -> None:
    code = (
        "import os, sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n"
        "os.write(1, b'FD-LEVEL\\n')\nos.write(2, b'FD-LEVEL\\n')\ntotal = 21\ntotal * 2"
    )
    run = run_isolated({}, code, timeout=LIMIT)
    assert run.ok and run.output == "to stdout\nto stderr\n42\n"
    hidden = run_isolated({}, "x = 5\nx * 2;", timeout=LIMIT)
    assert hidden.ok and hidden.output == ""
    nothing = run_isolated({}, "None", timeout=LIMIT)
    assert nothing.ok and nothing.output == ""
    out, err = capfd.readouterr()
    assert "FD-LEVEL" not in out + err and "to stdout" not in out and "to stderr" not in err


def test_displayed_objects_give_their_plain_text() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()  # display() goes through the shell's publisher
    code = (
        "import pandas as pd\nfrom IPython.display import display, clear_output\n"
        "display({'a': 1})\nclear_output()\ndisplay(pd.DataFrame({'col': [7]}))\n"
        "import sys\nsys.displayhook('hooked')"
    )
    run = run_isolated({}, code, timeout=LIMIT)
    assert run.ok, run.error_line
    lines = run.output.splitlines()
    assert lines[0] == "{'a': 1}" and "col" in lines[1] and lines[2].split() == ["0", "7"]
    assert lines[3] == "'hooked'"


def test_with_a_shell_ipython_syntax_means_what_it_means_in_the_live_run() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    formatter = shell.display_formatter.formatters["text/plain"]
    width = formatter.max_width
    code = "%config PlainTextFormatter.max_width = 7\nonly_in_the_child = 6 * 7\nonly_in_the_child"
    run = run_isolated(shell.user_ns, code, names=["only_in_the_child"], timeout=LIMIT)
    assert run.ok and run.output == "42\n", run.error_line
    assert run.values == {"only_in_the_child": "42"}
    assert formatter.max_width == width and "only_in_the_child" not in shell.user_ns


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("1 / 0", "ZeroDivisionError: division by zero"),
        ("def f(:\n    pass", "SyntaxError: invalid syntax (<candidate>, line 2)"),
        ("raise SystemExit(3)", "SystemExit: 3"),
        ("raise KeyError('col')", "KeyError: 'col'"),
        ("input('name? ')", "RuntimeError: input() is not available while a candidate runs"),
    ],
)
def test_a_failing_candidate_reports_its_error_line(code: str, line: str) -> None:
    run = run_isolated({}, "print('before')\n" + code, timeout=LIMIT)
    assert not run.ok and not run.timed_out
    assert run.error_line == line
    assert run.output == ("" if line.startswith("SyntaxError") else "before\n")


def test_secrets_are_redacted_from_output_errors_and_values() -> None:
    secret = "hunter2-hunter2-hunter2"
    namespace = {"db_password": secret}
    run = run_isolated(
        namespace,
        "copy = db_password\nprint(db_password)\nraise ValueError(db_password)",
        names=["copy"],
        timeout=LIMIT,
    )
    assert secret not in run.output + run.error_line + run.values["copy"]
    assert "<redacted>" in run.output and "<redacted>" in run.error_line


def test_names_get_fingerprints_and_kinds() -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    code = (
        "import numpy as np, pandas as pd\ni = 3\nf = 0.1 + 0.2\ns = 'txt'\nl = [1, 2]\n"
        "d = {'b': 2, 'a': 1}\nn = None\narr = np.arange(3)\n"
        "df = pd.DataFrame({'a': [1]})\nser = df['a']\np = Point(4)\nt = (1,)\nst = {2, 1}"
    )
    names = ["i", "f", "s", "l", "d", "n", "arr", "df", "ser", "p", "t", "st", "missing"]
    run = run_isolated({"Point": Point}, code, names=names, timeout=LIMIT)
    assert run.ok, run.error_line
    assert run.kinds == {
        "i": "int",
        "f": "float",
        "s": "str",
        "l": "list",
        "d": "dict",
        "n": "NoneType",
        "arr": "ndarray",
        "df": "DataFrame",
        "ser": "Series",
        "p": f"{__name__}.{Point.__qualname__}",
        "t": "tuple",
        "st": "set",
        "missing": UNBOUND,
    }
    assert run.values["f"] == "0.3" and run.values["s"] == "'txt'"
    assert run.values["d"] == "{'a': 1, 'b': 2}" and run.values["st"] == "set{1, 2}"
    assert run.values["p"] == f"{__name__}.{Point.__qualname__}({{'x': 4}})"
    assert run.values["missing"] == UNBOUND


def test_an_endless_loop_stops_at_the_time_limit_and_is_reaped(
    pid_pipe: tuple[int, int],
) -> None:
    read_end, write_end = pid_pipe
    code = (
        f"import os\nos.write({write_end}, str(os.getpid()).encode())\n"
        "while True:\n    try:\n        pass\n    except BaseException:\n        pass"
    )
    started = time.monotonic()
    run = run_isolated({}, code, timeout=1.0)
    elapsed = time.monotonic() - started
    assert run.timed_out and not run.ok and run.error_line == "timed out after 1 s"
    assert 1.0 <= elapsed < 1.0 + LIMIT and run.seconds <= elapsed
    _assert_reaped(_reported_pid(read_end))


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("import ctypes\nctypes.string_at(0)", "crashed (signal 11, SIGSEGV)"),
        ("import os\nos._exit(3)", "exited with status 3 before reporting a result"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "crashed (signal 9, SIGKILL)"),
    ],
)
def test_a_child_that_dies_without_a_report(
    pid_pipe: tuple[int, int], code: str, line: str
) -> None:
    read_end, write_end = pid_pipe
    prefix = f"import os\nos.write({write_end}, str(os.getpid()).encode())\nprint('lost')\n"
    run = run_isolated({}, prefix + code, names=["x"], timeout=LIMIT)
    assert not run.ok and not run.timed_out and run.error_line == line
    assert run.output == "" and run.values == {}
    _assert_reaped(_reported_pid(read_end))


def test_ctrl_c_while_waiting_kills_and_reaps_the_child_then_raises(
    pid_pipe: tuple[int, int],
) -> None:
    read_end, write_end = pid_pipe
    main = threading.main_thread().ident
    assert main is not None
    reported: list[int] = []

    def interrupt_once_running() -> None:
        reported.append(_reported_pid(read_end))
        signal.pthread_kill(main, signal.SIGINT)

    handler = signal.getsignal(signal.SIGINT)
    interrupter = threading.Thread(target=interrupt_once_running)
    interrupter.start()
    code = f"import os\nos.write({write_end}, str(os.getpid()).encode())\nwhile True:\n    pass"
    with pytest.raises(KeyboardInterrupt):
        run_isolated({}, code, timeout=LIMIT * 10)
    interrupter.join(LIMIT)
    (pid,) = reported
    _assert_reaped(pid)
    assert signal.getsignal(signal.SIGINT) is handler


def test_output_is_capped_as_the_executor_caps_it() -> None:
    run = run_isolated({}, "print('x' * 5000)", output_limit=100, timeout=LIMIT)
    assert run.ok and run.output.startswith("x" * 100 + "\n[jupyter-codegen] output capped at 100")
    assert "4,901 more were not shown" in run.output
    default = run_isolated({}, f"print('y' * {MAX_OUTPUT_CHARS + 10})", timeout=LIMIT)
    assert default.output.partition("\n")[0] == "y" * MAX_OUTPUT_CHARS


def test_matplotlib_figures_are_counted_on_agg_and_never_shown() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parent_figure = plt.figure()
    try:
        code = "fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.figure()\nplt.show()"
        run = run_isolated({"plt": plt}, code, names=["fig", "ax"], timeout=LIMIT)
        assert run.ok and run.figures == 2 and run.output == ""
        assert run.kinds == {"fig": "Figure", "ax": "Axes"}
        assert run_isolated({"plt": plt}, "x = 1", timeout=LIMIT).figures == 0
        assert plt.get_fignums() == [parent_figure.number]
    finally:
        plt.close(parent_figure)


def test_no_child_is_left_after_many_runs() -> None:
    before = _children()
    for code in ["x = 1", "1 / 0", "import os\nos._exit(0)", "while True:\n    pass"]:
        run_isolated({}, code, timeout=0.5)
    assert _children() <= before


def test_without_fork_callers_are_told_to_check_first(monkeypatch: pytest.MonkeyPatch) -> None:
    assert can_isolate()
    with pytest.raises(ValueError, match="time limit"):
        run_isolated({}, "x = 1", timeout=0)
    monkeypatch.setenv(NO_FORK_ENV, "1")
    assert not can_isolate()
    with pytest.raises(RuntimeError, match="can_isolate"):
        run_isolated({}, "x = 1", timeout=LIMIT)


# --- fingerprints ---------------------------------------------------------------------------


def _frame_two_ways() -> tuple[pd.DataFrame, pd.DataFrame]:
    by_columns = pd.DataFrame({"a": [1, 2, 3], "b": [0.1 + 0.2, 1.0, 2.5]})
    by_rows = pd.DataFrame.from_records(
        [(1.0, 0.3), (2.0, 1.0), (3.0, 2.5)], columns=["a", "b"], index=pd.Index([0, 1, 2])
    )
    return by_columns, by_rows


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (0.1 + 0.2, 0.3),
        (3, 3.0),
        (np.float64(1) / 3, 1 / 3),
        (np.int64(7), 7),
        (-0.0, 0.0),
        (math.nan, float("nan")),
        ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}),
        ({3, 1, 2}, {1, 2, 3}),
        _frame_two_ways(),
        (pd.Series([1, 2], name="x"), pd.Series([1.0, 2.0])),
        (np.arange(5000), np.arange(5000.0)),
        (np.linspace(0, 1, 3000), np.linspace(0, 1, 3000) * 3 / 3),
        (list(range(10_000)), list(range(10_000))),
    ],
    ids=repr,
)
def test_equal_values_computed_differently_agree(left: object, right: object) -> None:
    assert fingerprint(left) == fingerprint(right)


def _changed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[1, "b"] = 1.001
    return frame


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (0.3, 0.3000001),
        (1, "1"),
        ([1, 2], (1, 2)),
        ([1, 2], [2, 1]),
        ({"a": 1}, {"a": 2}),
        (_frame_two_ways()[0], _changed(_frame_two_ways()[0])),
        (_frame_two_ways()[0], _frame_two_ways()[0].rename(columns={"b": "c"})),
        (_frame_two_ways()[0], _frame_two_ways()[0].set_axis([5, 6, 7])),
        (pd.Series([1, 2]), pd.Series([1, 2], index=["p", "q"])),
        (np.zeros((2, 3)), np.zeros((3, 2))),
        (np.linspace(0, 1, 3000), np.linspace(0, 1, 3000) + np.eye(1, 3000, 17)[0] * 1e-4),
        (list(range(10_000)), list(range(10_001))),
        ("a" * 5000, "a" * 4999 + "b"),
    ],
    ids=repr,
)
def test_different_values_differ(left: object, right: object) -> None:
    assert fingerprint(left) != fingerprint(right)


def test_fingerprints_are_bounded_and_free_of_memory_addresses() -> None:
    class Plain:
        def __init__(self, v: int) -> None:
            self.v = v

    assert len(fingerprint(list(range(100_000)))) <= 400
    assert len(fingerprint(np.random.default_rng(0).random((1000, 1000)))) <= 400
    assert fingerprint(Plain(1)) == fingerprint(Plain(1)) != fingerprint(Plain(2))
    assert " at 0x" not in fingerprint(lambda: 0) and " at 0x" not in fingerprint(object())
    loop: list[object] = []
    loop.append(loop)
    assert fingerprint(loop).startswith("[[[")  # a self-reference ends at the depth bound

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert fingerprint(Broken()).endswith("no fingerprint (RuntimeError)>")
    assert kind_of(Broken()) == f"{__name__}.{Broken.__qualname__}"
