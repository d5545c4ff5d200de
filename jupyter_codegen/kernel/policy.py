"""Static check of generated code before it runs: ``--policy strict|default|off``.

The check reads the code's AST (after IPython's own transforms, so ``!cmd`` and ``%magic`` are
checked as the calls they become) and resolves every name it can to a dotted path: imports and
their aliases, plain assignments (``s = os.system``), ``getattr(os, "system")``,
``__import__("os")``, ``importlib.import_module("os")`` and ``sys.modules["os"]`` all lead back to
``os.system``. Each path is then classified.

Findings come in four kinds:

* ``blocked``: shown, never run, not sent back (shell escapes, killing the kernel, recursive
  deletes, credential reads, tricks that hide what runs: non-literal ``eval``/``exec``,
  dynamic imports, frame and ``__subclasses__`` walks, ``sys.modules`` games, ``ctypes``).
* ``rejected``: sent back to the model for repair (syntax errors, replacing or deleting the
  user's variables).
* ``confirm``: may run once the user says so (file writes, single-file deletes, network,
  pickle loads, background threads); see :mod:`jupyter_codegen.notebook.confirm`.
* nothing: the code may run.

``strict`` turns every ``confirm`` into ``blocked`` and allows only registered functions,
side-effect-free builtins and an allow-list of pure libraries. ``off`` checks nothing.

A static check cannot see what code computes at run time; docs/security.md lists what it
cannot stop. It is a backstop against a model that got it wrong or was steered by data, not a
sandbox against a determined attacker.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
import types
import warnings
from collections.abc import Collection, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_codegen.kernel.redact import is_secret_name

POLICIES = ("strict", "default", "off")

_SEVERITY = {"blocked": 3, "rejected": 2, "confirm": 1}


@dataclass(frozen=True)
class Finding:
    kind: str  # "blocked" | "rejected" | "confirm"
    reason: str
    line: int = 0

    def message(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.reason}{where}"


# --- what is dangerous ---------------------------------------------------------------------


def _wildcards(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The ``prefix*`` entries of ``table``, as (prefix, reason)."""
    return tuple((key[:-1], reason) for key, reason in table.items() if key.endswith("*"))


# Dotted paths (after alias resolution). A trailing "." or "*" makes an entry a prefix.
_BLOCKED: dict[str, str] = {
    # shell escapes and subprocesses
    "os.system": "runs a shell command",
    "os.popen": "runs a shell command",
    "os.exec*": "replaces the kernel process",
    "os.spawn*": "starts a subprocess",
    "os.posix_spawn*": "starts a subprocess",
    "os.fork*": "forks the kernel process",
    "posix.": "calls the operating system directly",
    "nt.": "calls the operating system directly",
    "subprocess.": "starts a subprocess",
    "pty.": "starts a subprocess",
    "asyncio.create_subprocess_*": "starts a subprocess",
    "asyncio.subprocess.": "starts a subprocess",
    "platform.popen": "runs a shell command",
    "pexpect.": "starts a subprocess",
    "commands.": "runs a shell command",
    "get_ipython().system*": "runs a shell command",
    "get_ipython().getoutput": "runs a shell command",
    "get_ipython().ex": "runs code the check cannot see",
    "get_ipython().ev": "runs code the check cannot see",
    "get_ipython().run_cell": "runs code the check cannot see",
    "get_ipython().run_code": "runs code the check cannot see",
    "get_ipython().safe_exec*": "runs code the check cannot see",
    # the kernel itself
    "os.kill*": "kills processes",
    "os._exit": "kills the kernel",
    "os.abort": "kills the kernel",
    "sys.exit": "stops the kernel",
    "exit": "stops the kernel",
    "quit": "stops the kernel",
    "signal.*": "interferes with interrupts and the time limit",
    "sys.settrace": "interferes with interrupts and the time limit",
    "sys.setprofile": "interferes with interrupts and the time limit",
    "threading.settrace": "interferes with interrupts and the time limit",
    "sys.setrecursionlimit": "can crash the kernel",
    "faulthandler.": "interferes with the kernel's signal handling",
    "breakpoint": "stops to wait for a debugger, which hangs the cell",
    "pdb.": "stops to wait for a debugger, which hangs the cell",
    "ipdb.": "stops to wait for a debugger, which hangs the cell",
    "IPython.embed": "starts a nested shell, which hangs the cell",
    "IPython.terminal.": "starts a nested shell, which hangs the cell",
    "code.interact": "starts a nested shell, which hangs the cell",
    "code.InteractiveConsole": "starts a nested shell, which hangs the cell",
    "ipykernel.": "reaches into the kernel's machinery",
    "get_ipython().kernel": "reaches into the kernel's machinery",
    "get_ipython().ask_exit": "stops the kernel",
    "get_ipython().reset": "deletes your variables",
    "get_ipython().del_var": "deletes your variables",
    "jupyter_codegen": "changes the extension that checks this code",
    "jupyter_codegen.": "changes the extension that checks this code",
    # recursive deletes
    "shutil.rmtree": "deletes a directory tree",
    "os.removedirs": "deletes directories",
    "send2trash.": "deletes files",
    # credentials
    "keyring.": "reads the system keyring",
    "os.getenvb": "reads environment variables, which may hold credentials",
    "os.environb": "reads environment variables, which may hold credentials",
    "os.putenv": "changes environment variables the extension relies on",
    "os.unsetenv": "changes environment variables the extension relies on",
    "win32cred.": "reads stored credentials",
    # code the check cannot see
    "ctypes": "calls native code directly",
    "ctypes.": "calls native code directly",
    "cffi.": "calls native code directly",
    "marshal.": "loads code objects",
    "runpy.": "runs code from a file",
    "importlib.util.spec_from_*": "loads code from a file",
    "importlib.util.module_from_spec": "loads code from a file",
    "importlib.machinery.": "loads code from a file",
    "importlib.reload": "re-runs a module's code",
    "importlib.invalidate_caches": "changes how modules are found",
    "zipimport.": "loads code from a file",
    "types.FunctionType": "builds a function from a code object",
    "types.CodeType": "builds a code object",
    "types.LambdaType": "builds a function from a code object",
    "gc.get_objects": "reaches any object in the kernel",
    "gc.get_referrers": "reaches any object in the kernel",
    "gc.get_referents": "reaches any object in the kernel",
    "inspect.currentframe": "reaches the interpreter's frames",
    "inspect.stack": "reaches the interpreter's frames",
    "inspect.trace": "reaches the interpreter's frames",
    "inspect.getouterframes": "reaches the interpreter's frames",
    "inspect.getinnerframes": "reaches the interpreter's frames",
    "sys._getframe": "reaches the interpreter's frames",
    "sys._current_frames": "reaches the interpreter's frames",
    "sys.meta_path": "changes how modules are found",
    "sys.path_hooks": "changes how modules are found",
    "sys.path_importer_cache": "changes how modules are found",
    "sys.addaudithook": "changes the interpreter's hooks",
    "sys.excepthook": "changes the interpreter's hooks",
    "sys.displayhook": "changes the interpreter's hooks",
    "sys.stdin": "reads the kernel's input channel",
    "builtins.": "changes or reaches Python's builtins",
    "__builtins__": "changes or reaches Python's builtins",
    "__builtins__.": "changes or reaches Python's builtins",
    "__loader__": "reaches the interpreter's import machinery",
    "__spec__": "reaches the interpreter's import machinery",
    "pip.": "installs packages",
    "ensurepip.": "installs packages",
    # servers that expose files
    "http.server.": "serves files over the network",
    "socketserver.": "serves over the network",
    "xmlrpc.server.": "serves over the network",
}

_CONFIRM: dict[str, str] = {
    # file writes
    "os.open": "writes files",
    "os.rename": "renames files",
    "os.renames": "renames files",
    "os.replace": "moves files",
    "os.makedirs": "creates directories",
    "os.mkdir": "creates directories",
    "os.chmod": "changes file permissions",
    "os.lchmod": "changes file permissions",
    "os.chown": "changes file owners",
    "os.lchown": "changes file owners",
    "os.link": "creates links",
    "os.symlink": "creates links",
    "os.truncate": "truncates files",
    "os.utime": "changes file times",
    "os.mkfifo": "creates files",
    "os.mknod": "creates files",
    "os.chdir": "changes the working directory",
    "os.remove": "deletes files",
    "os.unlink": "deletes files",
    "os.rmdir": "deletes a directory",
    "shutil.copy*": "copies files",
    "shutil.move": "moves files",
    "shutil.make_archive": "writes files",
    "shutil.unpack_archive": "writes files",
    "shutil.chown": "changes file owners",
    "numpy.save*": "writes files",
    "numpy.savetxt": "writes files",
    "sqlite3.connect": "opens (and may create) a database file",
    "shelve.open": "opens (and may create) a database file",
    "dbm.": "opens (and may create) a database file",
    "zipfile.ZipFile().extract*": "writes files",
    "tarfile.open().extract*": "writes files",
    "tarfile.TarFile().extract*": "writes files",
    "urllib.request.urlretrieve": "downloads to a file over the network",
    "IPython.display.Javascript": "runs JavaScript in your browser",
    # network
    "socket.": "uses the network",
    "ssl.": "uses the network",
    "requests.": "uses the network",
    "httpx.": "uses the network",
    "urllib.request.": "uses the network",
    "urllib3.": "uses the network",
    "http.client.": "uses the network",
    "aiohttp.": "uses the network",
    "ftplib.": "uses the network",
    "smtplib.": "sends e-mail",
    "poplib.": "uses the network",
    "imaplib.": "uses the network",
    "telnetlib.": "uses the network",
    "xmlrpc.client.": "uses the network",
    "paramiko.": "uses the network",
    "websocket.": "uses the network",
    "websockets.": "uses the network",
    "webbrowser.": "opens a web browser",
    "grpc.": "uses the network",
    "boto3.": "uses the network",
    "botocore.": "uses the network",
    "google.cloud.": "uses the network",
    "google.genai.": "uses the network",
    "openai.": "uses the network",
    "anthropic.": "uses the network",
    # loads that run code stored in the data
    "pickle.load*": "loads a pickle, which can run code stored in the file",
    "_pickle.load*": "loads a pickle, which can run code stored in the file",
    "cPickle.load*": "loads a pickle, which can run code stored in the file",
    "pickle.Unpickler": "loads a pickle, which can run code stored in the file",
    "dill.load*": "loads a pickle, which can run code stored in the file",
    "cloudpickle.load*": "loads a pickle, which can run code stored in the file",
    "joblib.load": "loads a pickle, which can run code stored in the file",
    "pandas.read_pickle": "loads a pickle, which can run code stored in the file",
    "torch.load": "loads a pickle, which can run code stored in the file",
    "jsonpickle.decode": "loads a pickle, which can run code stored in the file",
    "yaml.unsafe_load*": "loads YAML that can run code",
    "yaml.full_load*": "loads YAML that can build arbitrary objects",
    # work that outlives the time limit
    "threading.Thread": "starts a background thread the time limit cannot stop",
    "threading.Timer": "starts a background thread the time limit cannot stop",
    "_thread.start_new*": "starts a background thread the time limit cannot stop",
    "multiprocessing.": "starts processes the time limit cannot stop",
    "concurrent.futures.ProcessPoolExecutor": "starts processes the time limit cannot stop",
    "sys.path.append": "changes where modules are imported from",
    "sys.path.insert": "changes where modules are imported from",
    "sys.path.extend": "changes where modules are imported from",
}
#: The tables' ``prefix*`` entries, found once (a lookup scanned the whole table for them).
_WILDCARDS = {id(table): _wildcards(table) for table in (_BLOCKED, _CONFIRM)}

# Method names that act on files whatever the receiver is (pathlib, pandas, matplotlib, ...).
_WRITE_METHODS = {
    "write_text": "writes files",
    "write_bytes": "writes files",
    "touch": "creates files",
    "symlink_to": "creates links",
    "hardlink_to": "creates links",
    "link_to": "creates links",
    "savefig": "writes files",
    "to_excel": "writes files",
    "to_parquet": "writes files",
    "to_pickle": "writes files",
    "to_feather": "writes files",
    "to_hdf": "writes files",
    "to_stata": "writes files",
    "to_orc": "writes files",
    "to_sql": "writes to a database",
    "to_gbq": "writes to a database over the network",
    "tofile": "writes files",
    "to_file": "writes files",
    "write_html": "writes files",
    "write_image": "writes files",
    "write_json": "writes files",
    "extractall": "writes files",
}
# These write only when given a target (``df.to_csv()`` returns a string).
_WRITE_WITH_TARGET = {
    "to_csv": ("path_or_buf",),
    "to_json": ("path_or_buf",),
    "to_html": ("buf",),
    "to_latex": ("buf",),
    "to_markdown": ("buf",),
    "to_string": ("buf",),
    "to_xml": ("path_or_buffer",),
    "to_clipboard": (),
    "save": (),
    "dump_stats": (),
}
_DELETE_METHODS = {"unlink": "deletes files", "rmdir": "deletes a directory"}
_RECURSIVE_DELETE_METHODS = {"rmtree": "deletes a directory tree"}
_MEMORY_FILES = ("io.BytesIO()", "io.StringIO()", "BytesIO()", "StringIO()")
_PATH_METHODS = {"mkdir", "rename", "replace", "chmod", "lchmod", "write_text", "write_bytes"}

_OPENERS = {
    "open",
    "io.open",
    "codecs.open",
    "gzip.open",
    "bz2.open",
    "lzma.open",
    "pathlib.Path().open",
    "zipfile.ZipFile",
    "tarfile.open",
}
# Attributes that reach interpreter internals: the classic escapes from a static check.
_ESCAPE_ATTRS = {
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__code__",
    "__closure__",
    "__mro__",
    "__bases__",
    "__base__",
    "__getattribute__",
    "__reduce__",
    "__reduce_ex__",
    "__import__",
    "__loader__",
    "__spec__",
    "__self__",
    "__func__",
    "__wrapped__",
    "__dict__",
    "__setattr__",
    "__delattr__",
    "__init_subclass__",
    "__class_getitem__",
    "func_globals",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "f_code",
    "tb_frame",
    "tb_next",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "ag_frame",
    "_jupyter_codegen_session",
}
# Modules whose module object must not be passed around (it hides what gets called).
_SENSITIVE_MODULES = {
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "shutil",
    "socket",
    "builtins",
    "importlib",
    "ctypes",
    "pickle",
    "marshal",
    "signal",
    "pty",
    "runpy",
    "gc",
    "inspect",
    "types",
    "io",
    "pathlib",
    "IPython",
    "ipykernel",
    "jupyter_codegen",
}
# Credential files and folders, as they appear in path literals.
_CREDENTIAL_PATH = re.compile(
    r"(^|[/\\])(\.ssh|\.aws|\.gnupg|\.netrc|_netrc|\.git-credentials|\.pgpass|\.pypirc|\.npmrc"
    r"|\.kube|\.docker|\.config[/\\]gcloud|\.azure|id_rsa|id_ed25519|id_ecdsa|id_dsa|\.env"
    r"|shadow|credentials(\.json)?|application_default_credentials\.json|\.vault-token"
    r"|\.boto|\.s3cfg|\.jupyter[/\\]lab|token\.json|secrets?\.(json|ya?ml|toml))($|[/\\])",
)
_URL = re.compile(r"^\s*(https?|ftps?|wss?|s3|gs)://", re.IGNORECASE)
_URL_READERS = re.compile(r"^(read_\w+|load\w*|open\w*|urlopen|urlretrieve|imread|get_file)$")

# Magics (``%name`` / ``%%name``) that do nothing worse than what the same code could do.
_SAFE_MAGICS = {
    "matplotlib",
    "time",
    "timeit",
    "who",
    "whos",
    "who_ls",
    "precision",
    "pprint",
    "capture",
    "html",
    "markdown",
    "latex",
    "pinfo",
    "pinfo2",
    "pdoc",
    "psource",
    "pdef",
    "psearch",
}
_STRICT_MAGICS = {"matplotlib", "time", "timeit"}
_CONFIRM_MAGICS = {"writefile": "writes files", "store": "writes files"}

# --- the strict policy's allow-lists ------------------------------------------------------

#: Libraries (top-level package names) generated code may import under ``strict``.
STRICT_MODULES = frozenset(
    {
        "math",
        "cmath",
        "statistics",
        "numpy",
        "pandas",
        "matplotlib",
        "seaborn",
        "plotly",
        "scipy",
        "sklearn",
        "statsmodels",
        "sympy",
        "ipywidgets",
        "IPython.display",
        "datetime",
        "time",
        "calendar",
        "zoneinfo",
        "random",
        "itertools",
        "functools",
        "operator",
        "collections",
        "heapq",
        "bisect",
        "re",
        "string",
        "textwrap",
        "difflib",
        "unicodedata",
        "json",
        "decimal",
        "fractions",
        "numbers",
        "dataclasses",
        "typing",
        "enum",
        "copy",
        "pprint",
        "array",
        "base64",
        "hashlib",
        "uuid",
        "warnings",
        "contextlib",
        "abc",
        "__future__",
    }
)
#: Builtins without side effects (``print`` and ``display`` only write to the cell's output).
STRICT_BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "bool",
        "bytearray",
        "bytes",
        "callable",
        "chr",
        "classmethod",
        "complex",
        "dict",
        "dir",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "format",
        "frozenset",
        "hasattr",
        "hash",
        "hex",
        "id",
        "int",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "list",
        "map",
        "max",
        "memoryview",
        "min",
        "next",
        "object",
        "oct",
        "ord",
        "pow",
        "print",
        "property",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "slice",
        "sorted",
        "staticmethod",
        "str",
        "sum",
        "super",
        "tuple",
        "type",
        "zip",
        "display",
        "help",
        "NotImplemented",
        "Ellipsis",
        *(n for n in dir(builtins) if n.endswith(("Error", "Exception", "Warning"))),
    }
)
_STRICT_DUNDERS = {"__name__", "__doc__", "__class__", "__len__", "__init__", "__qualname__"}


# --- the analysis --------------------------------------------------------------------------


def dotted_name(node: ast.AST) -> str:
    """``a.b.c`` for attribute chains, ``f()`` for calls in the chain, '' otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    if isinstance(node, ast.Call):
        base = dotted_name(node.func)
        return f"{base}()" if base else ""
    return ""


def _lookup(table: dict[str, str], name: str) -> str | None:
    """The reason for ``name`` in ``table`` (exact, ``prefix.`` or ``prefix*`` entries)."""
    if not name:
        return None
    if name in table:
        return table[name]
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        reason = table.get(prefix + ".") or table.get(prefix)
        if reason is not None:
            return reason
    wildcards = _WILDCARDS.get(id(table))
    for prefix, reason in _wildcards(table) if wildcards is None else wildcards:
        if name.startswith(prefix) and "." not in name[len(prefix) :].strip("()"):
            return reason
    return None


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _arg(call: ast.Call, index: int, *names: str) -> ast.AST | None:
    """Positional argument ``index`` or keyword ``names`` of ``call``."""
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[:index]):
        return call.args[index]
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


#: Line starts that IPython's input transformers rewrite (prompts pasted in, escapes).
_TRANSFORMED_LINE = re.compile(r"(?m)^[ \t]*(>>>|\.\.\.|In \[|[,;/])")
#: Line breaks other than "\n": IPython splits lines on them too, the pattern above does not.
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _plain_python(code: str) -> bool:
    """True when IPython's transformers cannot change ``code``: no ``%``, ``!`` or ``?`` at all,
    no line that starts like a pasted prompt or an escape, no leading indentation, only "\n"
    line breaks. Any doubt goes through the transformers (~0.1 ms a check)."""
    return (
        not code[:1].isspace()
        and not any(c in code for c in "%!?")
        and _OTHER_BREAKS.search(code) is None
        and _TRANSFORMED_LINE.search(code) is None
    )


def _transform(code: str) -> str:
    """The code IPython will run: ``!cmd`` and ``%magic`` become ``get_ipython()`` calls."""
    if _plain_python(code):
        return code
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        with warnings.catch_warnings():  # odd line endings in model output warn; not news
            warnings.simplefilter("ignore")
            return str(TransformerManager().transform_cell(code))
    except Exception:  # a transform failure shows up as the SyntaxError below
        return code


def _parse(code: str) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(code, "<generated>", "exec", flags=flags, dont_inherit=True)
    assert isinstance(tree, ast.Module)
    return tree


#: Nodes that may bind a name to an expression (alias chains: ``a = os; b = a.system``).
_ASSIGNING = (ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.withitem)


@dataclass
class _Analysis:
    policy: str
    user_names: Container[str]
    registered: Collection[str]
    depth: int = 0
    findings: list[Finding] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    #: Names the code itself binds (defs, classes, assignments, loop variables, imports).
    bound: set[str] = field(default_factory=set)
    #: Names bound to modules by an import in this code.
    imported: set[str] = field(default_factory=set)
    #: Local names known to hold modules (imported here, or modules in the user's namespace).
    modules: set[str] = field(default_factory=set)
    parents: dict[int, ast.AST] = field(default_factory=dict)

    @property
    def strict(self) -> bool:
        return self.policy == "strict"

    # --- findings

    def add(self, kind: str, reason: str, node: ast.AST | None) -> None:
        if kind == "confirm" and self.strict:
            kind, reason = "blocked", f"{reason}, which the strict policy does not allow"
        self.findings.append(Finding(kind, reason, getattr(node, "lineno", 0)))

    def blocked(self, what: str, reason: str, node: ast.AST | None) -> None:
        self.add("blocked", f"Blocked: {what} {reason}", node)

    def strict_block(self, what: str, node: ast.AST | None) -> None:
        if self.strict:
            self.add("blocked", f"Blocked by the strict policy: {what}", node)

    # --- name resolution

    def resolve(self, node: ast.AST, seen: int = 0) -> str:
        """The dotted path ``node`` refers to, following aliases; '' when unknown."""
        if seen > 20:
            return ""
        if isinstance(node, ast.Name):
            alias = self.aliases.get(node.id)
            return alias if alias is not None else node.id
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, seen + 1)
            return f"{base}.{node.attr}" if base else ""
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value, seen + 1)
            key = _const_str(node.slice)
            if base == "sys.modules" and key:
                return key
            if base in ("globals()", "locals()", "vars()") and key:
                return self.aliases.get(key, key)
            if base in ("os.environ", "os.environb"):
                return f"{base}[]"
            return f"{base}[]" if base else ""
        if isinstance(node, ast.Call):
            return self._resolve_call(node, seen)
        if isinstance(node, ast.NamedExpr):
            return self.resolve(node.value, seen + 1)
        return ""

    def _resolve_call(self, node: ast.Call, seen: int) -> str:
        func = self.resolve(node.func, seen + 1)
        if func in ("getattr", "builtins.getattr") and len(node.args) >= 2:
            attr = _const_str(node.args[1])
            base = self.resolve(node.args[0], seen + 1)
            if attr is not None and base:
                return f"{base}.{attr}"
            return ""
        if func in ("__import__", "builtins.__import__", "importlib.import_module"):
            name = _const_str(_arg(node, 0, "name"))
            if name:
                # __import__("os.path") returns os; import_module("os.path") returns os.path.
                return name if func == "importlib.import_module" else name.split(".")[0]
            return ""
        if func in ("pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath"):
            func = "pathlib.Path"
        if func == "pathlib.Path.home" or func == "pathlib.Path.cwd":
            return "pathlib.Path()"
        return f"{func}()" if func else ""

    def collect_aliases(self, nodes: list[ast.AST]) -> None:
        """Imports and simple assignments, flow-insensitively (a later rebinding is not
        trusted to undo an earlier dangerous one). ``nodes``: the tree, walked once."""
        assignments: list[ast.AST] = []
        for node in nodes:
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, _ASSIGNING):
                assignments.append(node)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self._alias(local, alias.name if alias.asname else alias.name.split(".")[0])
                    self.imported.add(local)
                    self.modules.add(local)
            elif isinstance(node, ast.ImportFrom):
                module = ("." * node.level) + (node.module or "")
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    local = alias.asname or alias.name
                    self._alias(local, f"{module}.{alias.name}")
                    self.imported.add(local)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bound.add(node.name)
            elif isinstance(node, (ast.Name,)) and isinstance(node.ctx, ast.Store):
                self.bound.add(node.id)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
        for _ in range(4):  # chains like a = os; b = a.system
            changed = False
            for node in assignments:
                pairs: list[tuple[ast.AST, ast.AST]] = []
                if isinstance(node, ast.Assign):
                    pairs = [(t, node.value) for t in node.targets]
                elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                    pairs = [(node.target, node.value)]
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    pairs = [(node.optional_vars, node.context_expr)]
                for target, value in pairs:
                    for name, expr in _unpack(target, value):
                        path = self.resolve(expr)
                        if path and path != name and self._alias(name, path):
                            changed = True
            if not changed:
                break

    def _alias(self, name: str, path: str) -> bool:
        old = self.aliases.get(name)
        if old == path:
            return False
        if old is not None and _severity_of(old) >= _severity_of(path):
            return False  # keep the more dangerous meaning of a rebound name
        self.aliases[name] = path
        return True

    # --- the walk

    def run(self, tree: ast.Module) -> None:
        nodes = list(ast.walk(tree))  # one walk for both passes
        self.collect_aliases(nodes)
        self.modules |= {n for n, path in self.aliases.items() if path in _SENSITIVE_MODULES}
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.check_import(node)
            elif isinstance(node, ast.Call):
                self.check_call(node)
            elif isinstance(node, ast.Attribute):
                self.check_attribute(node)
            elif isinstance(node, ast.Name):
                self.check_name(node)
            elif isinstance(node, ast.Subscript):
                self.check_subscript(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                self.check_string(node)
            elif isinstance(node, ast.Delete):
                self.check_delete(node)
            elif isinstance(node, (ast.Global, ast.Nonlocal)) and self.strict:
                self.strict_block("`global` statements", node)
        self.check_rebinding(tree)

    def check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            modules = [("." * node.level) + (node.module or "")]
            if any(a.name == "*" for a in node.names):
                if _root(modules[0]) in _SENSITIVE_MODULES or _lookup(_BLOCKED, modules[0] + "."):
                    self.blocked(f"`from {modules[0]} import *`", "hides what is called", node)
                elif self.strict:
                    self.strict_block(f"`from {modules[0]} import *`", node)
        for module in modules:
            if _root(module) in ("jupyter_codegen", "ctypes", "cffi"):
                self.blocked(f"`import {module}`", _lookup(_BLOCKED, module + ".") or "", node)
                continue
            if self.strict and not _strict_module(module):
                names = [f"{module}.{a.name}" for a in getattr(node, "names", [])]
                if module == "IPython" and names and all(_strict_module(n) for n in names):
                    continue
                self.strict_block(
                    f"`import {module}` (allowed libraries: numpy, pandas, math, statistics, "
                    "matplotlib, ipywidgets, scipy, ... and registered functions)",
                    node,
                )

    def check_name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            if node.id in ("__builtins__", "get_ipython", "display", "print", "open"):
                self.blocked(f"rebinding `{node.id}`", "changes Python's builtins", node)
            return
        if node.id in ("__builtins__", "__loader__", "__spec__"):
            self.blocked(f"`{node.id}`", _BLOCKED[node.id], node)
            return
        if node.id in self.user_names and node.id not in self.bound and is_secret_name(node.id):
            self.blocked(f"`{node.id}`", "reads a credential (its name looks like a secret)", node)
            return
        if self.is_used_as_value(node):
            self.check_reference(self.resolve(node), node)

    def is_used_as_value(self, node: ast.AST) -> bool:
        """True unless ``node`` is the object of an attribute access or the callee of a call."""
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return False
        if isinstance(parent, ast.Call) and parent.func is node:
            return False
        return not (isinstance(parent, ast.Subscript) and parent.value is node)

    def check_reference(self, path: str, node: ast.AST) -> None:
        """A dangerous function or module passed around as a value (``map(os.remove, ...)``)."""
        if "()" in path or "[]" in path:
            return  # a call's result: the call itself was judged
        if path in ("eval", "exec", "compile", "__import__", "breakpoint"):
            self.blocked(f"passing `{path}` around", "runs code the check cannot see", node)
            return
        if path in _SENSITIVE_MODULES and path not in ("io", "pathlib", "types", "inspect"):
            bare = isinstance(node, ast.Name) and node.id == path
            if bare or path in ("builtins", "sys", "os", "subprocess", "ctypes", "importlib"):
                self.blocked(f"passing the module `{path}` around", "hides what is called", node)
            return
        reason = _lookup(_BLOCKED, path)
        if reason is not None and "." in path:
            self.blocked(f"`{path}`", reason, node)
            return
        reason = _lookup(_CONFIRM, path)
        if reason is not None and "." in path and path.split(".")[-1][:1].islower():
            self.add("confirm", f"`{path}` {reason}", node)

    def check_attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr in _ESCAPE_ATTRS:
            self.blocked(f"`.{attr}`", "reaches interpreter internals used to escape checks", node)
            return
        if self.strict and attr.startswith("__") and attr not in _STRICT_DUNDERS:
            self.strict_block(f"the attribute `.{attr}`", node)
            return
        path = self.resolve(node)
        if not path:
            return
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root(path)
            if root in _SENSITIVE_MODULES or root in ("get_ipython()", "__builtins__"):
                self.blocked(f"assigning `{path}`", "changes a module the kernel relies on", node)
            elif self.strict and isinstance(node.value, ast.Name) and node.value.id in self.modules:
                self.strict_block(f"changing `{path}`", node)
            return
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Call) and parent.func is node:
            return  # judged as a call
        if isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is node:
            return  # judged at the outermost attribute or subscript
        if path.startswith("get_ipython()."):
            self.check_ipython(path, node)
            return
        if path.startswith(("os.environ", "os.getenv")):
            self.check_environ(node, path, None)
            return
        self.check_reference(path, node)

    def check_subscript(self, node: ast.Subscript) -> None:
        base = self.resolve(node.value)
        key = _const_str(node.slice)
        if base == "sys.modules" and (not isinstance(node.ctx, ast.Load) or key is None):
            self.blocked("`sys.modules[...]`", "swaps modules behind the check", node)
        elif base in ("os.environ", "os.environb"):
            if isinstance(node.ctx, ast.Load):
                self.check_environ(node, base, node.slice)
            else:
                self.blocked("changing `os.environ`", "changes variables the extension uses", node)
        elif base in ("globals()", "locals()", "vars()") and key is not None:
            if key.startswith("__"):
                self.blocked(f"`{base}[{key!r}]`", "reaches interpreter internals", node)
        elif key is not None and key.startswith("__") and key.endswith("__"):
            self.blocked(f"the key {key!r}", "reaches interpreter internals", node)

    def check_string(self, node: ast.Constant) -> None:
        value = str(node.value).strip()
        if len(value) > 300 or _in_docstring(node, self.parents):
            return
        looks_like_path = any(c in value for c in "/\\") or value.startswith((".", "~", "id_"))
        if looks_like_path and _CREDENTIAL_PATH.search(value):
            self.blocked(f"the path {value!r}", "refers to a credential file", node)

    def check_delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if (
                isinstance(target, ast.Name)
                and target.id in self.user_names
                and self.parents.get(id(node)) is not None
                and isinstance(self.parents.get(id(node)), ast.Module)
            ):
                self.add(
                    "rejected",
                    f"the code deletes your variable `{target.id}`; keep it and use new names",
                    node,
                )

    def check_environ(self, node: ast.AST, path: str, key_node: ast.AST | None) -> None:
        key = _const_str(key_node)
        if key is None:
            self.blocked("reading `os.environ`", "may expose credentials", node)
        elif is_secret_name(key) or key.upper().startswith(("GEMINI", "GOOGLE", "AWS", "AZURE")):
            self.blocked(f"reading the environment variable {key!r}", "reads a credential", node)
        else:
            self.strict_block(f"reading the environment variable {key!r}", node)

    def check_ipython(self, path: str, node: ast.AST, call: ast.Call | None = None) -> None:
        if path in ("get_ipython().run_line_magic", "get_ipython().run_cell_magic"):
            name = (_const_str(call.args[0]) if call is not None and call.args else None) or ""
            name = name.lstrip("%")
            if name in _CONFIRM_MAGICS:
                self.add("confirm", f"`%{name}` {_CONFIRM_MAGICS[name]}", node)
            elif name not in (_STRICT_MAGICS if self.strict else _SAFE_MAGICS):
                what = f"the magic `%{name}`" if name else "a magic chosen at run time"
                reason = {
                    "env": "reads environment variables, which may hold credentials",
                    "pip": "installs packages",
                    "conda": "installs packages",
                    "reset": "deletes your variables",
                    "xdel": "deletes your variables",
                }.get(name, "runs what the check cannot see")
                self.blocked(what, reason, node)
            return
        if path in ("get_ipython().set_next_input", "get_ipython().display_pub"):
            self.blocked(f"`{path}`", "writes into the notebook's cells", node)
            return
        known = _lookup(_BLOCKED, path)
        if known is None and not self.strict and path in ("get_ipython()", "get_ipython().user_ns"):
            return
        self.blocked(f"`{path}`", known or "reaches into IPython's machinery", node)

    def check_call(self, node: ast.Call) -> None:
        path = self.resolve(node.func)
        callee = path or dotted_name(node.func)
        last = callee.rsplit(".", 1)[-1] if callee else ""
        if isinstance(node.func, ast.Attribute) and node.func.attr in _ESCAPE_ATTRS:
            return  # reported by check_attribute
        if path.startswith("get_ipython()") and path != "get_ipython()":
            self.check_ipython(path, node, node)
            return
        if path in ("eval", "exec", "compile", "builtins.eval", "builtins.exec"):
            self.check_eval(node, path)
            return
        if path in ("__import__", "builtins.__import__", "importlib.import_module"):
            name = _const_str(_arg(node, 0, "name"))
            if name is None:
                self.blocked(f"`{path}(...)`", "imports a module chosen at run time", node)
            elif self.strict and not _strict_module(name):
                self.strict_block(f"importing {name!r}", node)
            elif _root(name) == "jupyter_codegen":
                self.blocked(f"importing {name!r}", _BLOCKED["jupyter_codegen"], node)
            return
        if path in ("getattr", "setattr", "delattr", "hasattr"):
            self.check_getattr(node, path)
            return
        if path in ("globals", "locals", "vars") and self.strict:
            self.strict_block(f"`{path}()`", node)
            return
        if path in ("os.getenv", "os.environ.get", "os.environ.pop", "os.environ.setdefault"):
            if path == "os.getenv" or path == "os.environ.get":
                self.check_environ(node, path, _arg(node, 0, "key"))
            else:
                self.blocked(f"`{path}(...)`", "changes variables the extension uses", node)
            return
        if path.startswith("os.environ."):
            what = path.rsplit(".", 1)[-1]
            if what in ("update", "clear", "popitem", "__setitem__"):
                self.blocked(f"`{path}(...)`", "changes variables the extension uses", node)
            else:
                self.blocked(f"`{path}(...)`", "reads environment variables", node)
            return
        if path.startswith("sys.modules."):
            if last in ("get", "__getitem__", "keys", "__contains__"):
                return
            self.blocked(f"`{path}(...)`", "swaps modules behind the check", node)
            return
        reason = _lookup(_BLOCKED, path)
        if reason is not None:
            self.blocked(f"`{path}(...)`", reason, node)
            return
        if path in _OPENERS or last == "open" and path.startswith("pathlib.Path()"):
            self.check_open(node, path)
        if self.check_file_methods(node, path, last):
            return
        self.check_url_read(node, last)
        if path == "numpy.load" or path == "numpy.lib.npyio.load":
            flag = _arg(node, 99, "allow_pickle")
            if not (isinstance(flag, ast.Constant) and flag.value is False) and flag is not None:
                self.add("confirm", f"`{path}(allow_pickle=...)` can run code in the file", node)
            return
        if path in ("yaml.load", "yaml.load_all"):
            loader = dotted_name(_arg(node, 1, "Loader") or ast.Constant(None))
            if not loader.endswith(("SafeLoader", "CSafeLoader", "BaseLoader")):
                self.add("confirm", f"`{path}(...)` without SafeLoader can run code", node)
            return
        reason = _lookup(_CONFIRM, path)
        if reason is not None and reason.startswith("deletes") and self.in_loop(node):
            self.blocked(f"`{path}(...)` in a loop", "deletes many files", node)
            return
        if reason is not None:
            self.add("confirm", f"`{path}(...)` {reason}", node)
            return
        if path in ("input", "builtins.input"):
            self.strict_block("`input()` (waits for typing)", node)
            return
        if self.strict:
            self.check_strict_call(node, path, callee)

    def check_eval(self, node: ast.Call, path: str) -> None:
        source = _const_str(_arg(node, 0, "source", "object"))
        name = path.rsplit(".", 1)[-1]
        if self.strict:
            self.strict_block(f"`{name}(...)`", node)
            return
        if source is None or self.depth >= 3:
            self.blocked(f"`{name}(...)`", "runs code the check cannot see", node)
            return
        try:
            inner = _parse(source)
        except (SyntaxError, ValueError):
            return  # it will raise when run, harmlessly
        sub = _Analysis(self.policy, self.user_names, self.registered, self.depth + 1)
        sub.run(inner)
        for finding in sub.findings:
            kind = "blocked" if finding.kind == "rejected" else finding.kind
            self.findings.append(Finding(kind, f"{finding.reason} (inside {name})", node.lineno))

    def check_getattr(self, node: ast.Call, path: str) -> None:
        if len(node.args) < 2:
            return
        base = self.resolve(node.args[0])
        attr = _const_str(node.args[1])
        if attr is None:
            if path == "hasattr":
                return
            if self.strict:
                self.strict_block(f"`{path}` with an attribute chosen at run time", node)
            elif _root(base) in _SENSITIVE_MODULES or base in ("get_ipython()", "__builtins__"):
                self.blocked(
                    f"`{path}({base}, ...)`", "reaches a function chosen at run time", node
                )
            return
        if attr in _ESCAPE_ATTRS or (self.strict and attr.startswith("__")):
            self.blocked(f"`{path}(..., {attr!r})`", "reaches interpreter internals", node)
            return
        if path in ("setattr", "delattr"):
            if _root(base) in _SENSITIVE_MODULES or base in ("get_ipython()", "__builtins__"):
                self.blocked(f"`{path}({base}, {attr!r})`", "changes a module", node)
            elif self.strict:
                self.strict_block(f"`{path}(...)`", node)

    def check_open(self, node: ast.Call, path: str) -> None:
        mode_index = 0 if path == "pathlib.Path().open" else 1
        mode = _arg(node, mode_index, "mode")
        if path == "zipfile.ZipFile" or path == "tarfile.open":
            text = _const_str(mode) if mode is not None else "r"
        else:
            text = "r" if mode is None else _const_str(mode)
        if text is None or re.search(r"[waxW+]", text):
            shown = repr(text) if text is not None else "a mode chosen at run time"
            self.add("confirm", f"`{path}(...)` with mode {shown} writes files", node)
        elif self.strict:
            self.strict_block(f"`{path}(...)` (reading files)", node)

    def check_file_methods(self, node: ast.Call, path: str, last: str) -> bool:
        if not isinstance(node.func, ast.Attribute):
            return False
        if last in _RECURSIVE_DELETE_METHODS:
            self.blocked(f"`{path or '.' + last}(...)`", _RECURSIVE_DELETE_METHODS[last], node)
            return True
        target = _arg(node, 0, "fname", "path", "path_or_buf", "buf", "excel_writer")
        if target is not None and self.resolve(target).startswith(_MEMORY_FILES):
            return True  # fig.savefig(io.BytesIO()): a buffer in memory, not a file
        if last in _DELETE_METHODS:
            if self.in_loop(node):
                self.blocked(f"`.{last}()` in a loop", "deletes many files", node)
            else:
                self.add("confirm", f"`.{last}()` {_DELETE_METHODS[last]}", node)
            return True
        if last in _WRITE_METHODS:
            self.add("confirm", f"`.{last}(...)` {_WRITE_METHODS[last]}", node)
            return True
        if last in _WRITE_WITH_TARGET:
            names = _WRITE_WITH_TARGET[last]
            has_target = bool(node.args) or any(kw.arg in names for kw in node.keywords)
            if has_target or last == "to_clipboard":
                self.add("confirm", f"`.{last}(...)` writes files", node)
                return True
        if path.startswith("pathlib.Path()") and last in _PATH_METHODS:
            self.add("confirm", f"`Path.{last}(...)` writes files", node)
            return True
        return False

    def check_url_read(self, node: ast.Call, last: str) -> None:
        if not _URL_READERS.match(last):
            return
        for arg in [*node.args[:1], *(kw.value for kw in node.keywords)]:
            value = _const_str(arg)
            if value is not None and _URL.match(value):
                self.add("confirm", f"`{last}({value[:40]!r}...)` uses the network", node)
                return

    def check_strict_call(self, node: ast.Call, path: str, callee: str) -> None:
        if isinstance(node.func, ast.Name):
            name = node.func.id
            if name in self.registered or name in self.bound and name not in self.aliases:
                return
            parent = self.parents.get(id(node))
            if name == "get_ipython" and isinstance(parent, ast.Attribute):
                return  # judged by check_ipython
            if path in STRICT_BUILTINS:
                return
            if "." in path and _strict_module(path):
                return
            if name in self.aliases and _strict_module(self.aliases[name]):
                return
            self.strict_block(
                f"calling `{name}`, which is not a registered function, a side-effect-free "
                "builtin or an allowed library",
                node,
            )
            return
        head: ast.AST = node.func
        while isinstance(head, (ast.Attribute, ast.Subscript, ast.Call)):
            head = head.func if isinstance(head, ast.Call) else head.value
        if isinstance(head, ast.Name) and head.id in self.modules and not _strict_module(path):
            self.strict_block(f"calling `{callee}`", node)

    def in_loop(self, node: ast.AST) -> bool:
        parent = self.parents.get(id(node))
        while parent is not None:
            if isinstance(parent, (ast.For, ast.AsyncFor, ast.While, ast.comprehension)):
                return True
            if isinstance(parent, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                return True
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return False
            parent = self.parents.get(id(parent))
        return False

    def check_rebinding(self, tree: ast.Module) -> None:
        """Small models replace the user's data with data they make up (``sales =
        pd.DataFrame({...})`` before answering about ``sales``): a user variable rebound at top
        level to a literal, or to a data constructor that reads none of the user's data (nor
        anything the code derived from it), goes back to the model. Loading data
        (``pd.read_csv``) or deriving it (``sales = sales.dropna()``) is not made up."""
        modules = set(self.modules)
        derived: set[str] = set()  # names this code bound from user data or unknown sources
        for node in tree.body:
            for name in sorted(_bound_names(node) & set(self.registered)):
                # A stand-in (``fx_rate = lambda c: 0.85``) answers with made-up numbers.
                self.add(
                    "rejected",
                    f"the code redefines your registered function `{name}`; call `{name}` "
                    "as it is instead",
                    node,
                )
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules.update(_bound_names(node))  # a module (or a function of one): no data
                continue
            if not isinstance(node, ast.Assign):
                derived.update(_bound_names(node))
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
                derived.update(_bound_names(node))

    def _constructs_data(self, node: ast.AST) -> bool:
        """A call that builds data from its arguments: a DataFrame, Series or array, a range of
        dates, random numbers (reading nothing of the user's is checked by the caller)."""
        if not isinstance(node, ast.Call):
            return False
        path = self.resolve(node.func) or dotted_name(node.func)
        if path.startswith(_RANDOM_PREFIXES):  # numbers drawn, not a generator or its seed
            return path.rsplit(".", 1)[-1] not in _RANDOM_STATE
        return path in _DATA_BUILDERS


def _unpack(target: ast.AST, value: ast.AST) -> Iterable[tuple[str, ast.AST]]:
    if isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
        for t, v in zip(target.elts, value.elts, strict=False):
            yield from _unpack(t, v)


def _root(path: str) -> str:
    return path.split(".", 1)[0]


def _strict_module(path: str) -> bool:
    parts = path.replace("()", "").split(".")
    return any(".".join(parts[:i]) in STRICT_MODULES for i in range(1, len(parts) + 1)) and not (
        _lookup(_CONFIRM, path) or _lookup(_BLOCKED, path)
    )


def _severity_of(path: str) -> int:
    if _lookup(_BLOCKED, path) or _root(path) in _SENSITIVE_MODULES:
        return 2
    return 1 if _lookup(_CONFIRM, path) else 0


def _in_docstring(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(node))
    return isinstance(parent, ast.Expr)


_LITERAL_NODES = (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Constant)
_DATA_CONSTRUCTORS = {
    "pd.DataFrame",
    "pandas.DataFrame",
    "pd.Series",
    "pandas.Series",
    "np.array",
    "numpy.array",
    "DataFrame",
    "Series",
}


_DATA_BUILDERS = _DATA_CONSTRUCTORS | {
    "numpy.arange",
    "numpy.linspace",
    "numpy.zeros",
    "numpy.ones",
    "numpy.full",
    "pandas.date_range",
    "np.arange",
    "np.linspace",
    "pd.date_range",
}
_RANDOM_PREFIXES = ("numpy.random.", "np.random.", "random.")
_RANDOM_STATE = frozenset(
    ["default_rng", "seed", "RandomState", "Generator", "SeedSequence", "PCG64", "Random"]
)


def _bound_names(node: ast.AST) -> set[str]:
    """Every name a statement binds (assignment targets, loop variables, defs, imports)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    names = {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(node.name)
    return names


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


_ALIAS_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)


def namespace_aliases(namespace: Mapping[str, Any]) -> dict[str, str]:
    """What the user's own names refer to, for names that hold modules or functions of modules
    (``sp`` after ``import subprocess as sp``; ``system`` after ``from os import system``), so
    generated code cannot reach them under another name; user-defined functions map to
    ``__main__.NAME`` (not registered, so ``strict`` refuses to call them)."""
    out: dict[str, str] = {}
    for name, value in list(namespace.items()):
        if not isinstance(value, _ALIAS_TYPES) or not isinstance(name, str) or name[:1] == "_":
            continue
        try:
            if isinstance(value, types.ModuleType):
                real = value.__name__
            elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
                module = getattr(value, "__module__", None) or ""
                qualname = getattr(value, "__qualname__", "") or ""
                if not module or not qualname or "<" in qualname:
                    continue
                real = f"{module}.{qualname}"
            else:
                continue
        except Exception:  # exotic objects with failing properties: not an alias
            continue
        if real != name:
            out[name] = real
    return out


_WORD = re.compile(r"\w+")


def code_aliases(code: str, namespace: Mapping[str, Any]) -> dict[str, str]:
    """:func:`namespace_aliases` for the names ``code`` mentions, the only ones its check
    looks up (a pass over a big namespace cost more than checking the code)."""
    mentioned = {word: namespace[word] for word in set(_WORD.findall(code)) if word in namespace}
    return namespace_aliases(mentioned)


def analyze(
    code: str,
    user_names: Container[str] = (),
    *,
    policy: str = "default",
    registered: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every finding in ``code`` under ``policy``, most severe first (empty: it may run).

    ``aliases`` (from :func:`namespace_aliases`) tells what the user's names already refer to.
    """
    if policy == "off":
        return []
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
    try:
        tree = _parse(_transform(code))
    except SyntaxError as exc:
        return [Finding("rejected", f"SyntaxError: {exc.msg}", exc.lineno or 0)]
    except (ValueError, RecursionError, MemoryError) as exc:
        return [Finding("rejected", f"the code cannot be parsed ({type(exc).__name__})")]
    analysis = _Analysis(policy, user_names, registered)
    for name, path in (aliases or {}).items():
        analysis.aliases[name] = path
        if path.split(".")[0] in sys.modules and path in sys.modules:
            analysis.modules.add(name)
    try:
        analysis.run(tree)
    except RecursionError:
        return [Finding("blocked", "Blocked: the code is nested too deeply to check")]
    unique = list(dict.fromkeys(analysis.findings))
    return sorted(unique, key=lambda f: (-_SEVERITY[f.kind], f.line))


def check(
    code: str,
    user_names: Container[str] = (),
    *,
    policy: str = "default",
    registered: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> Finding | None:
    """The finding that decides what happens to ``code``, or None when it may run.

    ``blocked`` beats ``rejected`` beats ``confirm``; the ``confirm`` finding lists every
    reason to ask (file writes, network, ...). ``user_names`` are the variables the user already
    has (rebinding one at top level to literal data, or deleting it, is rejected; reading one
    whose name looks like a credential is blocked); ``registered`` are the registered functions,
    which ``strict`` allows.
    """
    findings = analyze(code, user_names, policy=policy, registered=registered, aliases=aliases)
    if not findings:
        return None
    first = findings[0]
    if first.kind != "confirm":
        return first
    reasons = list(dict.fromkeys(f.message() for f in findings))
    shown = "; ".join(reasons[:4]) + (f"; and {len(reasons) - 4} more" if len(reasons) > 4 else "")
    return Finding("confirm", f"Needs your confirmation: {shown}", 0)
