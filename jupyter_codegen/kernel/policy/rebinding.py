"""The made-up-data check: small models replace the user's data with data they make up
(``sales = pd.DataFrame({...})`` before answering about ``sales``), or redefine a registered
function with a stand-in; both go back to the model. It reads the statements in order, unlike
the other checks, so it is a pass of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Container

from jupyter_codegen.kernel.policy.aliases import _Names
from jupyter_codegen.kernel.policy.findings import _Findings
from jupyter_codegen.kernel.policy.nodes import dotted_name, stored_names
from jupyter_codegen.kernel.policy.rules import (
    _DATA_BUILDERS,
    _DATA_CONSTRUCTORS,
    _RANDOM_PREFIXES,
    _RANDOM_STATE,
    _SHADOWED_BUILTINS,
)


class _Rebinding(_Names, _Findings):
    """The rebinding check. The analysis dataclass provides the attributes."""

    user_names: Container[str]
    registered: Collection[str]

    def check_rebinding(self, tree: ast.Module) -> None:
        """Small models replace the user's data with data they make up (``sales =
        pd.DataFrame({...})`` before answering about ``sales``): a user variable rebound at top
        level to a literal, or to a data constructor that reads none of the user's data (nor
        anything the code derived from it), goes back to the model. Loading data
        (``pd.read_csv``) or deriving it (``sales = sales.dropna()``) is not made up."""
        # Every name the code binds anywhere (collect_aliases read them): most code rebinds no
        # user variable, registered function or builtin, and then no statement is walked again.
        anywhere = self.bound | self.imported
        registered = set(self.registered) & anywhere
        replaced = any(
            isinstance(target, ast.Name) and target.id in self.user_names
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
        )
        if not (registered or replaced or _SHADOWED_BUILTINS & anywhere):
            return
        modules = set(self.modules)
        derived: set[str] = set()  # names this code bound from user data or unknown sources
        for node in tree.body:
            bound = _bound_names(node)  # one walk of the statement for the three rules
            for name in sorted(bound & registered):
                # A stand-in (``fx_rate = lambda c: 0.85``) answers with made-up numbers. (The
                # message names the way out: told to "call it as it is instead", a small model
                # wrote ``fx_rate = fx_rate("EUR")``, binding the name to the result.)
                self.add(
                    "rejected",
                    f"the code redefines your registered function `{name}`; leave the name "
                    f"`{name}` to it: call `{name}(...)` and keep what it returns under "
                    "another name",
                    node,
                )
            # (Its top-level names are among ``bound``: walked again only for a builtin's name.)
            shadowing = bound & _SHADOWED_BUILTINS and _top_level_names(node) & _SHADOWED_BUILTINS
            for name in sorted(shadowing or ()):
                if name not in self.user_names:  # the user's own `max` is theirs
                    self.add(
                        "rejected",
                        f"the code binds `{name}`, hiding Python's built-in `{name}` in your "
                        f"kernel for every later cell; use another name (numpy's: np.{name})",
                        node,
                    )
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules.update(bound)  # a module (or a function of one): no data
                continue
            if not isinstance(node, ast.Assign):
                derived.update(bound)
                continue
            reads = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            from_data = any(
                name in derived or (name in self.user_names and name not in self.aliases)
                for name in reads
                if name not in modules
            )
            literal = _is_literal_data(node.value)
            made_up = not isinstance(node.value, ast.Constant) and (
                literal or (not from_data and self._constructs_data(node.value))
            )
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in self.user_names and made_up:
                    what = (
                        "literal data"
                        if literal
                        else "data it makes up (built from none of your variables)"
                    )
                    self.add(
                        "rejected",
                        f"the code replaces your variable `{target.id}` with {what}; "
                        f"use the existing `{target.id}` instead of redefining it",
                        node,
                    )
            if not made_up:
                derived.update(bound)

    def _constructs_data(self, node: ast.AST) -> bool:
        """A call that builds data from its arguments: a DataFrame, Series or array, a range of
        dates, random numbers (reading nothing of the user's is checked by the caller)."""
        if not isinstance(node, ast.Call):
            return False
        path = self.resolve(node.func) or dotted_name(node.func)
        if path.startswith(_RANDOM_PREFIXES):  # numbers drawn, not a generator or its seed
            return path.rsplit(".", 1)[-1] not in _RANDOM_STATE
        return path in _DATA_BUILDERS


_LITERAL_NODES = (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Constant)


def _bound_names(node: ast.AST) -> set[str]:
    """Every name a statement binds (assignment targets, loop variables, defs, imports)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    names = stored_names(node)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(node.name)
    return names


def _top_level_names(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds in the kernel's namespace: not those local to a
    function, class, lambda or comprehension it holds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _bound_names(node)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    names: set[str] = set()
    pending: list[ast.AST] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store):
            names.add(current.id)
        for child in ast.iter_child_nodes(current):
            if isinstance(child, (ast.Lambda, *_COMPREHENSIONS)):
                continue
            if isinstance(child, ast.stmt):
                names |= _top_level_names(child)  # a block's statements, one scope
            else:
                pending.append(child)
    return names


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _is_literal_data(node: ast.AST) -> bool:
    """A literal container, or a DataFrame/array built straight from literals."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return len(node.elts) > 0 and all(_is_literal_data(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return len(node.values) > 0 and all(_is_literal_data(v) for v in node.values)
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return True
    if isinstance(node, ast.Call) and dotted_name(node.func) in _DATA_CONSTRUCTORS:
        return bool(node.args) and all(_is_literal_data(a) for a in node.args[:1])
    return False
