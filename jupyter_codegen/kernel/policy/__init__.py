"""Static check of generated code before it runs: ``--policy strict|default|off``.

The check reads the code's AST (after IPython's own transforms, so ``!cmd`` and ``%magic`` are
checked as the calls they become) and resolves every name it can to a dotted path: imports and
their aliases, plain assignments (``s = os.system``), ``getattr(os, "system")``,
``__import__("os")``, ``importlib.import_module("os")`` and ``sys.modules["os"]`` all lead back to
``os.system``. Each path is then classified.

Findings come in four kinds:

* ``blocked``: shown, never run, not sent back (shell escapes, killing the kernel, recursive
  deletes, credential reads, tricks that hide what runs: non-literal ``eval``/``exec``,
  dynamic imports, frame and ``__subclasses__`` walks, ``sys.modules`` games, ``ctypes``;
  unpickling bytes the code builds or fetches; writes into places where a file runs code later:
  startup and config folders, shell rc files, cron, site-packages, git hooks).
* ``rejected``: sent back to the model for repair (syntax errors, replacing or deleting the
  user's variables).
* ``confirm``: may run once the user says so (file writes, single-file deletes, network,
  pickle loads of a file the prompt does not name, background threads); see
  :mod:`jupyter_codegen.notebook.confirm`.
* nothing: the code may run.

``strict`` turns every ``confirm`` into ``blocked`` and allows only registered functions,
side-effect-free builtins and an allow-list of pure libraries. ``off`` checks nothing.

A static check cannot see what code computes at run time; docs/security.md lists what it
cannot stop. It is a backstop against a model that got it wrong or was steered by data, not a
sandbox against a determined attacker.

The package, by job: :mod:`.rules` (the rule tables, as data), :mod:`.match` (how a path finds
its rule), :mod:`.source` (IPython's transforms and parsing), :mod:`.aliases` (name
resolution), :mod:`.folding` (strings built from literals), :mod:`.references` and
:mod:`.calls` (the checks), :mod:`.loads` (unpicklers), :mod:`.persistence` (writes that run
later), :mod:`.rebinding` (made-up data),
:mod:`.tools` (MCP tools by their annotations), :mod:`.findings` (what is reported, ranked and
worded), :mod:`.analysis` (the walk and the entry points).
"""

from __future__ import annotations

from jupyter_codegen.kernel.policy.aliases import code_aliases, namespace_aliases
from jupyter_codegen.kernel.policy.analysis import analyze, check
from jupyter_codegen.kernel.policy.findings import Finding
from jupyter_codegen.kernel.policy.nodes import dotted_name
from jupyter_codegen.kernel.policy.rules import POLICIES, STRICT_BUILTINS, STRICT_MODULES
from jupyter_codegen.kernel.policy.tools import ToolServer, uses_names

__all__ = [
    "POLICIES",
    "STRICT_BUILTINS",
    "STRICT_MODULES",
    "ToolServer",
    "Finding",
    "analyze",
    "check",
    "code_aliases",
    "dotted_name",
    "namespace_aliases",
    "uses_names",
]
