"""Every exception type of the project lives in errors.py, and every user-facing one is known
to the headless runner (which reads error names off a notebook's outputs)."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import jupyter_codegen
from jupyter_codegen import errors

PACKAGE = Path(jupyter_codegen.__file__).parent
_BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}


def _exception_classes(tree: ast.Module) -> list[str]:
    """Classes whose base is an exception type (built-in or ours). A module's private class
    (``_Name``) is a control-flow signal that never leaves it, not a project exception."""
    ours = {name for name, value in vars(errors).items() if isinstance(value, type)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            }
            if bases & (_BUILTIN_EXCEPTIONS | ours) and not node.name.startswith("_"):
                found.append(node.name)
    return found


def test_no_module_but_errors_defines_an_exception():
    elsewhere = {
        str(path.relative_to(PACKAGE)): names
        for path in PACKAGE.rglob("*.py")
        if path.name != "errors.py" or path.parent != PACKAGE
        if (names := _exception_classes(ast.parse(path.read_text("utf-8"))))
    }
    assert elsewhere == {}


def test_the_scan_finds_exception_classes():
    """The scan itself: a module defining one is caught (so the test above can fail)."""
    tree = ast.parse(
        "class A(ValueError): ...\nclass B(errors.CodegenError): ...\nclass C: ...\n"
        "class _Signal(Exception): ..."
    )
    assert _exception_classes(tree) == ["A", "B"]


def test_the_runner_knows_every_user_facing_error_by_name():
    from jupyter_codegen.notebook import runner

    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.CodegenError)
    }
    assert {"CodegenError", "NoAnswerError", "SpecError", "ConfirmationPending"} <= defined
    assert set(runner._OUR_ERRORS) == defined
    # An error output of one of them is ours (kept under the prompt cell); a user's is not.
    assert runner._is_own({"output_type": "error", "ename": "NoAnswerError"})
    assert not runner._is_own({"output_type": "error", "ename": "ValueError"})
