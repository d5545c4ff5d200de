"""The static policy: what each of strict / default / off lets through, and the evasion tricks
it sees through. Each row is (code, expected kind); None means the code may run."""

from __future__ import annotations

import pytest

from jupyter_codegen.kernel.policy import analyze, check, namespace_aliases

USER = {"prices", "df", "api_key", "my_func", "sales"}

DEFAULT_CASES: list[tuple[str, str | None]] = [
    # ordinary analysis code runs
    ("print(1)", None),
    ("import pandas as pd\nm = df.groupby('a')['b'].mean()\nprint(m)", None),
    ("import matplotlib.pyplot as plt\nplt.bar([1, 2], [3, 4])\nplt.show()", None),
    ("%matplotlib inline\nx = 1", None),
    ("s = df.to_csv()\nj = df.to_json(orient='records')", None),
    ("import os\nhome = os.environ.get('HOME')\np = os.path.join(home, 'x')", None),
    ("open('data.txt').read()", None),
    ("import subprocess", None),  # importing alone does nothing
    ("eval('1 + 1')", None),  # a literal is checked like code
    ("df.query('a > 1')", None),
    ("import yaml\nyaml.load(s, Loader=yaml.SafeLoader)", None),
    ("async def f():\n    return 1\nawait f()", None),
    ("token_ids = [1, 2]\nprint(len(token_ids))", None),
    ("while True:\n    break", None),
    ("import io\nbuf = io.BytesIO()\nfig.savefig(buf, format='png')", None),
    ("from io import StringIO\ndf.to_csv(StringIO())", None),
    # shell escapes
    ("import os\nos.system('ls')", "blocked"),
    ("!rm -rf ~", "blocked"),
    ("x = !ls", "blocked"),
    ("%%bash\nrm -rf /", "blocked"),
    ("%sx ls", "blocked"),
    ("get_ipython().system('ls')", "blocked"),
    ("import subprocess\nsubprocess.run(['ls'])", "blocked"),
    ("import subprocess as sp\nsp.Popen('ls')", "blocked"),
    ("from subprocess import check_output as co\nco('ls')", "blocked"),
    ("import asyncio\nawait asyncio.create_subprocess_shell('ls')", "blocked"),
    ("import pty\npty.spawn('/bin/sh')", "blocked"),
    # aliases and dynamic tricks
    ("from os import system as s\ns('x')", "blocked"),
    ("from os import *\nsystem('x')", "blocked"),
    ("import os\nf = os.system\nf('x')", "blocked"),
    ("import os\na = os\nb = a.system\nb('x')", "blocked"),
    ("getattr(__import__('os'), 'system')('ls')", "blocked"),
    ("import os\ngetattr(os, 'sys' + 'tem')('ls')", "blocked"),
    ("__import__('o' + 's')", "blocked"),
    ("import importlib\nimportlib.import_module('sub' + 'process')", "blocked"),
    ("import importlib\nimportlib.import_module('subprocess').run('ls')", "blocked"),
    ("exec('import os; os.system(1)')", "blocked"),
    ("exec(payload)", "blocked"),
    ("exec(__import__('base64').b64decode('aW1wb3J0IG9z'))", "blocked"),
    ("compile(src, 'x', 'exec')", "blocked"),
    ("f = eval\nf(s)", "blocked"),
    ("list(map(eval, xs))", "blocked"),
    ("().__class__.__base__.__subclasses__()", "blocked"),
    ("object.__subclasses__()", "blocked"),
    ("f.__globals__['os']", "blocked"),
    ("x = __builtins__['eval']", "blocked"),
    ("globals()['__builtins__']", "blocked"),
    ("vars(os)['system']('ls')", "blocked"),
    ("import sys\nsys._getframe().f_back.f_globals", "blocked"),
    ("import inspect\ninspect.currentframe()", "blocked"),
    ("import gc\ngc.get_objects()", "blocked"),
    ("import ctypes", "blocked"),
    ("import ctypes.util", "blocked"),
    ("import marshal\nmarshal.loads(b)", "blocked"),
    ("import types\ntypes.FunctionType(code, {})", "blocked"),
    ("import runpy\nrunpy.run_path('x.py')", "blocked"),
    ("import os\nlist(map(os.system, cmds))", "blocked"),
    ("import os\nhelper(os)", "blocked"),
    ("x = sp.run('ls')", "blocked"),  # sp is the user's subprocess (namespace alias)
    ("system('ls')", "blocked"),  # the user did `from os import system`
    # sys.modules and builtins games
    ("import sys\nsys.modules['os'].system('x')", "blocked"),
    ("import sys\nsys.modules['json'] = None", "blocked"),
    ("import sys\nsys.modules.pop('json')", "blocked"),
    ("import sys\ndel sys.modules['json']", "blocked"),
    ("import builtins\nbuiltins.open = None", "blocked"),
    ("import os\nos.system = print", "blocked"),
    ("print = lambda *a: None", "blocked"),
    ("import sys\nsys.meta_path.insert(0, finder)", "blocked"),
    # the kernel and the time limit
    ("import sys\nsys.exit()", "blocked"),
    ("exit()", "blocked"),
    ("import os\nos._exit(0)", "blocked"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "blocked"),
    ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)", "blocked"),
    ("import sys\nsys.settrace(None)", "blocked"),
    ("import sys\nsys.setrecursionlimit(10**9)", "blocked"),
    ("breakpoint()", "blocked"),
    ("get_ipython().kernel.do_shutdown(False)", "blocked"),
    ("get_ipython().run_line_magic('reset', '-f')", "blocked"),
    ("%reset -f", "blocked"),
    ("%pip install evil", "blocked"),
    ("import jupyter_codegen", "blocked"),
    ("get_ipython()._jupyter_codegen_session.config.policy = 'off'", "blocked"),
    # recursive and mass deletes
    ("import shutil\nshutil.rmtree('data')", "blocked"),
    ("import shutil as s\ns.rmtree('x')", "blocked"),
    ("import glob, os\nfor f in glob.glob('*'):\n    os.remove(f)", "blocked"),
    ("from pathlib import Path\nfor p in Path('.').glob('*'):\n    p.unlink()", "blocked"),
    ("import os\n[os.unlink(f) for f in files]", "blocked"),
    # credentials
    ("import os\nk = os.environ['GEMINI_API_KEY']", "blocked"),
    ("import os\nk = os.getenv('AWS_SECRET_ACCESS_KEY')", "blocked"),
    ("import os\nenv = dict(os.environ)", "blocked"),
    ("import os\nfor k, v in os.environ.items():\n    print(k, v)", "blocked"),
    ("import os\nos.environ['GOOGLE_GEMINI_BASE_URL'] = 'http://evil'", "blocked"),
    ("%env", "blocked"),
    ("print(api_key)", "blocked"),
    ("headers = {'Authorization': api_key}", "blocked"),
    ("open('~/.ssh/id_rsa').read()", "blocked"),
    ("from pathlib import Path\n(Path.home() / '.aws/credentials').read_text()", "blocked"),
    ("open('/home/u/.netrc').read()", "blocked"),
    ("import keyring\nkeyring.get_password('svc', 'me')", "blocked"),
    ("import http.server\nhttp.server.test()", "blocked"),
    # the user's variables
    ("x = (1 +", "rejected"),
    ("prices = [1, 2, 3]", "rejected"),
    ("import pandas as pd\nsales = pd.DataFrame({'a': [1, 2]})", "rejected"),
    # made-up data in place of the user's (the embedded model's habit), not only literals
    (
        "import pandas as pd\nsales = pd.DataFrame({'m': pd.date_range('2024', periods=3)})",
        "rejected",
    ),
    (
        "import pandas as pd\nimport numpy as np\nsales = pd.DataFrame(np.random.rand(3, 2))",
        "rejected",
    ),
    ("import numpy\nprices = numpy.random.rand(5)", "rejected"),
    (
        "import pandas as pd\nm = pd.date_range('2024', periods=3)\nsales = pd.DataFrame({'m': m})",
        "rejected",
    ),
    # loaded or derived data is the user's: it runs
    ("import pandas as pd\nsales = pd.read_csv('sales.csv')", None),
    ("sales = sales.sort_values('month')", None),
    (
        "import pandas as pd\nr = sales['region'].unique()\nsales = pd.DataFrame({'region': r})",
        None,
    ),
    ("import pandas as pd\nsales = pd.DataFrame(df)", None),
    (
        "import pandas as pd\nfor row in df.itertuples():\n    x = row\nsales = pd.DataFrame([x])",
        None,
    ),
    ("import pandas as pd\nnew_frame = pd.DataFrame({'a': [1, 2]})", None),  # a new name
    ("import numpy as np\nprices = np.random.default_rng(0)", None),  # a generator, no data
    # a registered function is called, never replaced by a stand-in
    ("get_weather = lambda city: 20.0\nprint(get_weather('Oslo'))", "rejected"),
    ("def get_weather(city):\n    return 20.0", "rejected"),
    ("from x import get_weather", "rejected"),
    ("del prices", "rejected"),
    # a builtin hidden in the kernel for every later cell (the 1.5B's NPV code)
    ("from numpy import sum\nnpv = sum([1.0, 2.0])", "rejected"),
    ("max = prices.max()", "rejected"),
    ("for len in range(3):\n    pass", "rejected"),
    ("if True:\n    total, sum = 1, 2", "rejected"),
    ("def f(xs):\n    sum = 0\n    return sum", None),  # local to the function
    ("total = [max for max in range(3)]", None),  # local to the comprehension
    ("f = lambda sum: sum + 1", None),
    ("import numpy as np\ntotal = np.sum([1, 2])", None),
    ("id = 3", None),  # a name users rebind on purpose as often as not
    ("prices = 10", None),  # a plain constant is a normal edit
    # asks for confirmation
    ("df.to_csv('out.csv')", "confirm"),
    ("df.to_excel('out.xlsx')", "confirm"),
    ("df.to_parquet('x.parquet')", "confirm"),
    ("import matplotlib.pyplot as plt\nplt.plot([1])\nplt.savefig('a.png')", "confirm"),
    ("import numpy as np\nnp.save('x', a)", "confirm"),
    ("open('x.txt', 'w').write('1')", "confirm"),
    ("with open('x.txt', mode='a') as f:\n    f.write('1')", "confirm"),
    ("open(p, mode).read()", "confirm"),
    ("from pathlib import Path\nPath('a').write_text('x')", "confirm"),
    ("from pathlib import Path\nPath('a').unlink()", "confirm"),
    ("from pathlib import Path\nPath('d').mkdir()", "confirm"),
    ("import os\nos.remove('x')", "confirm"),
    ("import os\nos.makedirs('out')", "confirm"),
    ("import shutil\nshutil.copy('a', 'b')", "confirm"),
    ("import requests\nrequests.get('http://example.com')", "confirm"),
    ("import urllib.request\nurllib.request.urlopen('http://x')", "confirm"),
    ("from urllib.request import urlopen\nurlopen('http://x')", "confirm"),
    ("import socket\nsocket.create_connection(('x', 80))", "confirm"),
    ("import pandas as pd\npd.read_csv('https://x/y.csv')", "confirm"),
    ("import pickle\npickle.load(open('f', 'rb'))", "confirm"),
    ("import pandas as pd\npd.read_pickle('f.pkl')", "confirm"),
    ("import numpy as np\nnp.load('f.npy', allow_pickle=True)", "confirm"),
    ("import yaml\nyaml.load(s)", "confirm"),
    ("import threading\nthreading.Thread(target=f).start()", "confirm"),
    ("import sqlite3\nsqlite3.connect('x.db')", "confirm"),
    ("%%writefile x.py\nprint(1)", "confirm"),
    ("import webbrowser\nwebbrowser.open('http://x')", "confirm"),
]


@pytest.mark.parametrize(("code", "want"), DEFAULT_CASES, ids=[c for c, _ in DEFAULT_CASES])
def test_default_policy(code: str, want: str | None) -> None:
    aliases = {"sp": "subprocess", "system": "posix.system", "os": "os"}
    finding = check(code, USER, policy="default", aliases=aliases, registered={"get_weather"})
    assert (finding.kind if finding else None) == want, finding and finding.message()


STRICT_CASES: list[tuple[str, str | None]] = [
    ("import numpy as np\nprint(np.mean([1, 2]))", None),
    ("import math\nprint(math.sqrt(2))", None),
    ("import statistics\nstatistics.median([1, 2, 3])", None),
    ("get_weather('Paris')", None),  # registered
    ("rows = [get_weather(c) for c in ['a', 'b']]", None),
    ("df.groupby('a').sum()", None),
    ("def f(x):\n    return x * 2\nprint(f(2))", None),
    ("g = lambda x: x + 1\nprint(g(1))", None),
    ("%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()", None),
    ("from IPython.display import display, Markdown\ndisplay(Markdown('x'))", None),
    ("import ipywidgets as w\ns = w.IntSlider()\ndisplay(s)", None),
    ("x = [len(v) for v in d.values()]", None),
    ("import os\nos.path.join('a')", "blocked"),
    ("import requests", "blocked"),
    ("import pickle", "blocked"),
    ("my_func(1)", "blocked"),  # a user function that is not registered
    ("mf = my_func\nmf()", "blocked"),
    ("open('x').read()", "blocked"),
    ("df.to_csv('x')", "blocked"),
    ("eval('1')", "blocked"),
    ("getattr(df, name)()", "blocked"),
    ("x.__dict__", "blocked"),
    ("globals()", "blocked"),
    ("input('?')", "blocked"),
    ("import numpy as np\nnp.save('x', a)", "blocked"),
    ("import os\nh = os.environ.get('HOME')", "blocked"),
    ("%timeit sum([1])", None),
    ("%who", "blocked"),
]


@pytest.mark.parametrize(("code", "want"), STRICT_CASES, ids=[c for c, _ in STRICT_CASES])
def test_strict_policy(code: str, want: str | None) -> None:
    finding = check(
        code,
        {"df", "my_func", "d"},
        policy="strict",
        registered={"get_weather"},
        aliases={"my_func": "__main__.my_func", "os": "os"},
    )
    assert (finding.kind if finding else None) == want, finding and finding.message()


def test_off_checks_nothing() -> None:
    assert check("import os\nos.system('rm -rf ~')", policy="off") is None
    assert analyze("x = (1 +", policy="off") == []


def test_unknown_policy_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        check("x = 1", policy="lenient")


def test_blocked_message_names_the_call_and_line() -> None:
    finding = check("x = 1\nimport shutil\nshutil.rmtree('data')")
    assert finding is not None and finding.kind == "blocked"
    assert finding.message() == "Blocked: `shutil.rmtree(...)` deletes a directory tree (line 3)"


def test_blocked_beats_rejected_beats_confirm() -> None:
    code = "prices = [1, 2]\ndf.to_csv('x')\nimport os\nos.system('ls')"
    kinds = [f.kind for f in analyze(code, USER)]
    assert kinds[0] == "blocked" and "rejected" in kinds and "confirm" in kinds
    assert check(code, USER).kind == "blocked"  # type: ignore[union-attr]
    assert check("prices = [1, 2]\ndf.to_csv('x')", USER).kind == "rejected"  # type: ignore[union-attr]


def test_confirm_lists_every_reason() -> None:
    finding = check("df.to_csv('a')\nimport requests\nrequests.post('http://x', data=s)")
    assert finding is not None and finding.kind == "confirm"
    assert finding.reason.startswith("Needs your confirmation:")
    assert "writes files" in finding.reason and "uses the network" in finding.reason


def test_namespace_aliases_see_modules_and_functions() -> None:
    import os
    import subprocess

    def local() -> None: ...

    aliases = namespace_aliases(
        {"sp": subprocess, "system": os.system, "os": os, "f": local, "_hidden": os, "n": 3}
    )
    assert aliases["sp"] == "subprocess"
    assert aliases["system"].endswith(".system")
    assert "os" not in aliases  # same name: nothing to resolve
    assert "_hidden" not in aliases and "n" not in aliases
    assert check("system('x')", aliases=aliases).kind == "blocked"  # type: ignore[union-attr]


def test_pathological_code_does_not_crash_the_check() -> None:
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    finding = check(deep)
    assert finding is None or finding.kind in ("rejected", "blocked")
    assert check("\x00") is not None
    assert check("") is None


def test_a_tree_the_caller_parsed_is_used_only_for_code_ipython_runs_as_it_is() -> None:
    import ast

    # The caller's tree of other text than IPython runs (a shell escape) is not believed.
    finding = check("files = !ls", tree=ast.parse("files = 1"))
    assert finding is not None and finding.kind == "blocked"
    # Plain Python: the tree is what is checked (here one that differs, to show it is read).
    assert check("x = 1", tree=ast.parse("import subprocess\nsubprocess.run('ls')")) is not None
    assert check("x = 1", tree=ast.parse("x = 1")) is None
