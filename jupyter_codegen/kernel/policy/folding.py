"""The strings a code spells out at run time from pieces it holds in plain sight: ``'.ipy' +
'thon'``, f-strings of literals, ``'/'.join([...])``, ``'cshrab.'[::-1]``, ``chr`` lists and
base64, hex or rot13 of a literal. The persistence check reads paths through it, so that
building a path from pieces hides it no better than writing it out.

Only literals are folded: a piece that comes from a variable or a call we do not know makes the
whole expression unknown (None), never a guess.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
from collections.abc import Callable

#: Decoders of one literal argument, by the dotted path the code calls them by.
_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "base64.b64decode": base64.b64decode,
    "base64.standard_b64decode": base64.standard_b64decode,
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.b32decode": base64.b32decode,
    "base64.b16decode": base64.b16decode,
    "base64.b85decode": base64.b85decode,
    "base64.a85decode": base64.a85decode,
    "binascii.unhexlify": binascii.unhexlify,
    "binascii.a2b_hex": binascii.a2b_hex,
    "binascii.a2b_base64": binascii.a2b_base64,
    "bytes.fromhex": lambda data: bytes.fromhex(data.decode("ascii")),
}
#: Calls that make a path of their arguments, joined with "/" (``~`` stays as written).
_PATH_JOINS = {
    "os.path.join",
    "posixpath.join",
    "ntpath.join",
    "os.path.expanduser",
    "os.path.abspath",
    "os.path.normpath",
    "os.path.realpath",
    "os.fspath",
    "pathlib.Path",
    "pathlib.PurePath",
    "pathlib.PosixPath",
    "pathlib.Path().joinpath",
    "pathlib.Path().expanduser",
    "str",
}
#: Path methods that keep the path they are called on (and join their arguments to it).
_PATH_METHODS = {"expanduser", "resolve", "absolute", "joinpath"}
_HOMES = {"pathlib.Path.home", "os.path.expanduser", "pathlib.Path().home"}
_MAX = 4096  # longer strings are data, not paths; folding them is wasted work


def fold(node: ast.AST | None, resolve: Callable[[ast.AST], str], depth: int = 0) -> str | None:
    """The text ``node`` evaluates to when it is built from literals only, else None.

    ``resolve`` gives the dotted path of a callee (the analysis's alias resolution), so that
    ``from base64 import b64decode as d; d('...')`` folds like ``base64.b64decode('...')``.
    """
    if node is None or depth > 12:
        return None
    value = _fold(node, resolve, depth)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if value is None or len(value) <= _MAX else None


def _fold(node: ast.AST, resolve: Callable[[ast.AST], str], depth: int) -> str | bytes | None:
    def sub(child: ast.AST) -> str | bytes | None:
        return _fold(child, resolve, depth + 1) if depth < 12 else None

    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = sub(node.left), sub(node.right)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(left, bytes) and isinstance(right, bytes):
            return left + right
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        # pathlib's ``Path(a) / "b"``: folded as the path text it makes
        left, right = sub(node.left), sub(node.right)
        if isinstance(left, str) and isinstance(right, str):
            return f"{left.rstrip('/')}/{right.lstrip('/')}"
        return None
    if isinstance(node, ast.JoinedStr):
        pieces = []
        for part in node.values:
            piece = sub(part.value if isinstance(part, ast.FormattedValue) else part)
            if not isinstance(piece, str):
                return None
            pieces.append(piece)
        return "".join(pieces)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        base = sub(node.value)
        step = node.slice.step
        reversed_ = isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub)
        if base is not None and reversed_ and node.slice.lower is node.slice.upper is None:
            return base[::-1]
        return None
    if isinstance(node, ast.Call):
        return _fold_call(node, resolve, sub)
    return None


def _fold_call(
    node: ast.Call,
    resolve: Callable[[ast.AST], str],
    sub: Callable[[ast.AST], str | bytes | None],
) -> str | bytes | None:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "join" and len(node.args) == 1:
        glue = sub(func.value)
        items = _items(node.args[0], resolve, sub)
        if isinstance(glue, str) and items is not None and all(isinstance(i, str) for i in items):
            return glue.join(str(i) for i in items)
        return None
    if isinstance(func, ast.Attribute) and func.attr in ("decode", "encode") and not node.args:
        base = sub(func.value)
        if isinstance(base, bytes) and func.attr == "decode":
            return base.decode("utf-8", "replace")
        if isinstance(base, str) and func.attr == "encode":
            return base.encode()
        return None
    if isinstance(func, ast.Attribute) and func.attr in _PATH_METHODS:
        parts = [sub(func.value), *(sub(a) for a in node.args)]
        if all(isinstance(p, str) for p in parts):
            return "/".join(str(p).rstrip("/") for p in parts)
    path = resolve(func)
    if path in _HOMES and not node.args:
        return "~"
    if path in _PATH_JOINS and node.args:
        parts = [sub(a) for a in node.args]
        if all(isinstance(p, str) for p in parts):
            return "/".join(str(p).rstrip("/") for p in parts)
        return None
    if path in ("chr", "builtins.chr") and len(node.args) == 1:
        code = node.args[0]
        if isinstance(code, ast.Constant) and isinstance(code.value, int) and code.value < 0x110000:
            return chr(code.value)
        return None
    if path in ("codecs.decode", "codecs.encode") and len(node.args) == 2:
        text, codec = sub(node.args[0]), sub(node.args[1])
        if isinstance(text, str) and isinstance(codec, str) and codec.replace("_", "") == "rot13":
            return codecs.decode(text, "rot13")
        return None
    decoder = _DECODERS.get(path)
    if decoder is not None and len(node.args) == 1:
        data = sub(node.args[0])
        if isinstance(data, str):
            data = data.encode("ascii", "replace")
        if isinstance(data, bytes):
            try:
                return decoder(data)
            except (ValueError, binascii.Error):
                return None
    return None


def _items(
    node: ast.AST,
    resolve: Callable[[ast.AST], str],
    sub: Callable[[ast.AST], str | bytes | None],
) -> list[str | bytes] | None:
    """The folded items of a literal list/tuple, ``map(chr, [...])`` or a comprehension over
    ``chr`` of literal codes (the shapes a join is fed to spell a string out)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [sub(e) for e in node.elts]
        return None if any(i is None for i in items) else items  # type: ignore[return-value]
    if isinstance(node, ast.Call) and resolve(node.func) == "map" and len(node.args) == 2:
        if resolve(node.args[0]) in ("chr", "builtins.chr"):
            codes = node.args[1]
            if isinstance(codes, (ast.List, ast.Tuple)):
                return _chrs(codes.elts)
        return None
    if isinstance(node, (ast.GeneratorExp, ast.ListComp)) and len(node.generators) == 1:
        gen = node.generators[0]
        elt = node.elt
        if (
            isinstance(elt, ast.Call)
            and resolve(elt.func) in ("chr", "builtins.chr")
            and len(elt.args) == 1
            and isinstance(elt.args[0], ast.Name)
            and isinstance(gen.target, ast.Name)
            and elt.args[0].id == gen.target.id
            and isinstance(gen.iter, (ast.List, ast.Tuple))
            and not gen.ifs
        ):
            return _chrs(gen.iter.elts)
    return None


def _chrs(codes: list[ast.expr]) -> list[str | bytes] | None:
    out: list[str | bytes] = []
    for code in codes:
        if not (isinstance(code, ast.Constant) and isinstance(code.value, int)):
            return None
        if not 0 <= code.value < 0x110000:
            return None
        out.append(chr(code.value))
    return out
