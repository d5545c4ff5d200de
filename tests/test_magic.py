def test_status_names_the_last_problem_and_not_a_chat_turn_or_a_placement(shell, capsys):
    from jupyter_codegen.notebook.history import HistoryEntry
    from jupyter_codegen.session import session_for

    history = session_for(shell).history

    def entry(status: str) -> HistoryEntry:
        return HistoryEntry("t", "p", "m", "code", "generated", 1, status, None)

    for status in ("failed: NameError", "ok", "chat", "placed", "not run", "answered"):
        history.add(entry(status))
    shell.run_line_magic("gemini", "status")
    assert "last problem: failed: NameError" in capsys.readouterr().out
    history.entries.clear()
    history.add(entry("chat"))
    shell.run_line_magic("gemini", "status")
    assert "last problem" not in capsys.readouterr().out
