"""The policy's rules as data: which dotted paths, methods, attributes, magics and literals are
blocked, need confirmation or are allowed under ``strict``, each with the one-line reason a
finding shows.

No analysis lives here, so a new rule family is a change to these tables (plus, where a rule
needs a new kind of look at the code, one check in the analysis modules). Paths are the ones
:mod:`jupyter_codegen.kernel.policy.aliases` resolves names to; :mod:`.match` says how a path
finds its entry.
"""

from __future__ import annotations

import builtins
import re

POLICIES = ("strict", "default", "off")

# --- what is dangerous ---------------------------------------------------------------------

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

#: Calls that open one file for reading or writing (the policy judges their mode; a loader reads
#: what they open). ``_OPENERS`` adds the archives.
_FILE_OPENERS = frozenset(
    {
        "open",
        "io.open",
        "codecs.open",
        "gzip.open",
        "bz2.open",
        "lzma.open",
        "pathlib.Path().open",
    }
)

# --- unsafe deserialization ---------------------------------------------------------------

#: Loaders that can run code stored in what they load, and what their first argument is:
#: "bytes" (the data itself: ``pickle.loads``), "file" (a path or an open file:
#: ``pickle.load``, ``pd.read_pickle``) or "either" (``yaml.load`` takes text or a stream).
#: What decides is where that argument comes from (:mod:`.loads`): a file the prompt names is
#: data loading and runs; another file or the user's own variable asks; bytes the code builds,
#: decodes or fetches are blocked, since whoever wrote them chose the code that runs.
_UNPICKLERS: dict[str, str] = {
    "pickle.loads": "bytes",
    "_pickle.loads": "bytes",
    "cPickle.loads": "bytes",
    "dill.loads": "bytes",
    "cloudpickle.loads": "bytes",
    "jsonpickle.decode": "bytes",
    "pickle.load": "file",
    "_pickle.load": "file",
    "cPickle.load": "file",
    "pickle.Unpickler": "file",
    "_pickle.Unpickler": "file",
    "dill.load": "file",
    "dill.Unpickler": "file",
    "cloudpickle.load": "file",
    "joblib.load": "file",
    "pandas.read_pickle": "file",
    "torch.load": "file",  # unless weights_only=True
    "numpy.load": "file",  # only with allow_pickle=True
    "numpy.lib.npyio.load": "file",
    "yaml.load": "either",  # unless a safe Loader
    "yaml.load_all": "either",
    "yaml.unsafe_load": "either",
    "yaml.unsafe_load_all": "either",
    "yaml.full_load": "either",
    "yaml.full_load_all": "either",
}
_UNPICKLE_REASON = "loads a pickle, which can run code stored in the file"
_UNPICKLE_BYTES_REASON = "unpickling bytes runs arbitrary code"
#: Calls whose result is a file's content or a path, not bytes the code made up (the argument
#: of ``open(...)`` and friends is what the loader really reads).
_FILE_SOURCES = _FILE_OPENERS | {
    "pathlib.Path",
    "pathlib.Path().read_bytes",
    "pathlib.Path().read_text",
    "os.path.join",
    "os.path.expanduser",
    "os.path.abspath",
    "posixpath.join",
    "os.fspath",
    "str",
}

#: Libraries where ``getattr(np, name)`` with a run-time name is common (reductions chosen by
#: name) and reaches at worst a file loader: it asks instead of being blocked.
_RUNTIME_GETATTR_ASKS = {
    "numpy": "may reach numpy.load(allow_pickle=True)",
    "pandas": "may reach pandas.read_pickle",
}

# --- persistence ---------------------------------------------------------------------------

#: Places where a written file runs code later, by itself: in every new kernel, at every login,
#: on a schedule, at every Python start, on every git commit. Matched against the paths the
#: code spells out (literals and what it builds from literals, :mod:`.folding`), as
#: '/'-separated text; a code that changes files and names one of these is blocked.
_PERSISTENCE_PATHS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (
            r"(^|/)(\.ipython|\.jupyter|profile_[^/]*/startup|share/jupyter/kernels"
            r"|etc/(ipython|jupyter))(/|$)|(^|/)i?python(_kernel)?_config\.py$"
            r"|(^|/)jupyter_[a-z_]*config\.(py|json)$",
            "writes into a file that runs in every new kernel",
        ),
        (
            r"(^|/)\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv"
            r"|zlogin|cshrc|tcshrc|kshrc|mkshrc|xinitrc|xprofile|xsession|pam_environment)$"
            r"|(^|/)etc/(profile|bash\.bashrc|zsh|environment)|(^|/)\.config/(fish|autostart"
            r"|systemd|environment\.d)(/|$)|(^|/)etc/systemd(/|$)",
            "writes into a shell or login startup file that runs at every login",
        ),
        (
            r"(^|/)(crontab|anacrontab)$|(^|/)cron\.(d|daily|hourly|weekly|monthly)(/|$)"
            r"|(^|/)var/spool/cron(/|$)|(^|/)etc/cron",
            "schedules code to run later (cron)",
        ),
        (
            r"(^|/)(sitecustomize|usercustomize)\.py$|(^|/)(site|dist)-packages(/|$)"
            r"|(^|/)\.pythonrc(\.py)?$|(^|/)lib/python[0-9.]*(/|$)",
            "writes into a file that runs at every Python start",
        ),
        (
            r"(^|/)\.git/(hooks|config)(/|$)|(^|/)\.gitconfig$|(^|/)\.config/git(/|$)",
            "installs a git hook that runs on every commit",
        ),
    )
)
#: Functions and attributes that give those places at run time (``site.getsitepackages()``).
_PERSISTENCE_FUNCTIONS: dict[str, str] = {
    "site.": "writes into a file that runs at every Python start",
    "sysconfig.": "writes into a file that runs at every Python start",
    "distutils.sysconfig.": "writes into a file that runs at every Python start",
    "IPython.paths.": "writes into a file that runs in every new kernel",
    "IPython.utils.path.": "writes into a file that runs in every new kernel",
    "IPython.core.profiledir.": "writes into a file that runs in every new kernel",
    "jupyter_core.paths.": "writes into a file that runs in every new kernel",
}
#: ``module.__file__`` and ``__path__``: the folder of an installed module's code.
_MODULE_FILE_ATTRS = {
    "__file__": "writes beside an installed module's code, which runs on import",
    "__path__": "writes beside an installed module's code, which runs on import",
}
#: Words of the confirm reasons that change files (the writes a persistence path turns into a
#: block); every such reason in the tables above and in :mod:`.calls` contains one.
_FILE_CHANGE_WORDS = (
    "writes",
    "creates",
    "copies",
    "moves",
    "renames",
    "links",
    "permissions",
    "truncates",
    "to a file",
    "database file",
)

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

_OPENERS = _FILE_OPENERS | {"zipfile.ZipFile", "tarfile.open"}
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
#: Why a magic outside the lists above is blocked; any other: "runs what the check cannot see".
_BLOCKED_MAGICS = {
    "env": "reads environment variables, which may hold credentials",
    "pip": "installs packages",
    "conda": "installs packages",
    "reset": "deletes your variables",
    "xdel": "deletes your variables",
}
#: Environment variables whose names start so hold the cloud and model credentials.
_CREDENTIAL_ENV_PREFIXES = ("GEMINI", "GOOGLE", "AWS", "AZURE")
#: ``yaml.load`` loaders that build only plain data (any other can run code).
_SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader")

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

# --- made-up data (the rebinding check) ----------------------------------------------------

#: Calls that build a table or an array straight from their arguments.
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
#: ... and calls that make up numbers from no data at all: ranges, grids, filled arrays, dates.
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
#: Random draws are made up too; making a generator or seeding one (``_RANDOM_STATE``) is not.
_RANDOM_PREFIXES = ("numpy.random.", "np.random.", "random.")
_RANDOM_STATE = frozenset(
    ["default_rng", "seed", "RandomState", "Generator", "SeedSequence", "PCG64", "Random"]
)

#: Builtins generated code must not rebind at top level: ``from numpy import sum`` hides
#: Python's ``sum`` in the user's kernel for every later cell (measured: the 1.5B's NPV code
#: did, and the next task's ``sum(generator)`` failed three attempts). Names users rebind
#: on purpose as often as not (``id``, ``type``, ``input``, ``filter``) are left alone.
_SHADOWED_BUILTINS = frozenset(
    {"sum", "max", "min", "abs", "round", "len", "pow", "sorted", "range", "zip", "map"}
    | {"any", "all", "list", "dict", "set", "tuple", "str", "int", "float", "bool", "print"}
)
