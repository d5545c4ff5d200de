"""What the prompt clearly asks the code to leave behind: the reading half of the intent checks
(core/intent_checks.py judges whether the code did it).

Small models often run cleanly and still miss the task: the count lands in ``count`` when the
prompt said "store it in `n_high`", a correlation matrix stands where one number was asked, a
chart prompt prints a table, the user's frame comes back with a column rewritten. These checks
are deterministic, read only the prompt's wording and the namespace after the run, and fire only
on clear wording (a named result, its kind in the same sentence): a failed one is an ordinary
repair with a precise message, a passed one is named in the status line.

:func:`read_intent` parses the prompt once a cell, and :func:`intent_for` reads it against the
namespace as the cell starts (which quoted names are the user's data, their columns and ids).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Container, Iterable, Mapping, Set
from dataclasses import dataclass
from typing import Any

from jupyter_codegen.core.formula_checks import loan_years
from jupyter_codegen.core.join_checks import join_asked
from jupyter_codegen.core.patterns import Gated

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


#: The wording of a kind -> the kind it asks for.
_KIND_WORDS = {
    "list": "list",
    "dict": "dict",
    "dictionary": "dict",
    "number": "number",
    "float": "number",
    "int": "int",
    "integer": "int",
    "string": "str",
    "str": "str",
    "dataframe": "DataFrame",
    "data frame": "DataFrame",
    "series": "Series",
    "bool": "bool",
    "boolean": "bool",
    "tuple": "tuple",
    "set": "set",
    "percentage": "number",
    "fraction": "number",
}
# "a list", "as a float", "an integer", "(an int)"; not "a number of rows", "a set of columns".
_KIND = re.compile(
    r"\b(?:an?|one)\s+"
    r"(?:new\s+|single\s+|plain\s+|python\s+|pandas\s+|positive\s+|negative\s+)?"
    r"(list|dict|dictionary|number|float|int|integer|string|str|dataframe|data frame|series|"
    r"bool|boolean|tuple|set|percentage|fraction)\b"
    r"(?!(?<=number)\s+of\b)(?!(?<=set)\s+of\b)(?!(?<=series)\s+of\b)",
    re.IGNORECASE,
)

# The ways a prompt names its result, each clear on its own. Unquoted names count only when
# they look like identifiers nobody writes as a word (``n_high``, ``df2``, ``X``; not "A" or
# "I"): _LOOSE.
_LOOSE = r"(?P<u>(?=[A-Za-z_]*[_0-9])[A-Za-z_][A-Za-z0-9_]*|[B-HJ-Z])\b"
# Text within one clause: no sentence mark, except the point of a decimal ("0.05 means 5%").
_CLAUSE = r"(?:[^.;:!?\n`]|(?<=\d)\.(?=\d))"
_NAMED = [
    # "a list called `top`", "a DataFrame named by_month"
    Gated(re.compile(rf"\b(?i:named|called)\s+(?:`(?P<q>{_NAME})`|{_LOOSE})"), "named called"),
    # "store the count in `n_high`", "save the result as `out`", "put them into a variable x1"
    Gated(
        re.compile(
            rf"\b(?i:store|save|put|assign|place)\b{_CLAUSE}*?(?:`[^`]*`{_CLAUSE}*?)*?"
            r"\b(?i:in|into|as|to)\s+(?:(?i:an?\s+(?:new\s+)?variable)\s+(?i:called\s+|named\s+)?)?"
            rf"(?:`(?P<q>{_NAME})`|{_LOOSE})"
        ),
        "store save put assign place",
    ),
    # "... as `out`", "the result in a variable `x`"
    Gated(re.compile(rf"\b(?i:as)\s+`(?P<q>{_NAME})`"), "`"),
    Gated(re.compile(rf"\b(?i:variable)\s+(?:`(?P<q>{_NAME})`|{_LOOSE})"), "variable"),
    # "as a Series `per_month`", "store a dict `totals_fx`": a kind, then the quoted name
    Gated(
        re.compile(
            rf"\b(?i:an?|one)\s+(?i:new\s+)?(?i:list|dict|dictionary|number|float|int|integer|"
            rf"string|str|dataframe|data frame|series|bool|boolean|tuple|set)\s+`(?P<q>{_NAME})`"
        ),
        "`",
    ),
    # "create `by_month`, a DataFrame of ..." (a new name only)
    Gated(re.compile(rf"\b(?i:create|make|define|build)\s+`(?P<new>{_NAME})`"), "`"),
]
#: Words before a quoted name that make it something other than a variable.
_NOT_A_VARIABLE = re.compile(
    r"\b(?:columns?|fields?|keys?|index|files?|functions?|methods?|modules?|attributes?|"
    r"arguments?|parameters?|labels?|titled?|sheets?|tables?|packages?|"
    r"same\s+(?:index|rows?)\s+as)\s*$",
    re.IGNORECASE,
)
#: How far (in characters) from the name its kind may be said.
_KIND_WINDOW = 32
# A sentence ends at . ; ! ? or a line break, not at the dot of ``df.col``.
_SENTENCE = re.compile(r"[.;!?](?=\s|$)|\n")

_CHART = Gated(
    re.compile(
        r"\b(?:plot|chart|histogram|scatter\s*plot|bar\s*plot|line\s*plot|pie\s*chart|heat\s*map|"
        r"heatmap|boxplot|box\s*plot)s?\b",
        re.IGNORECASE,
    ),
    "plot chart histogram heat",
)
# "a horizontal bar chart", "vertical bars": the way the bars must lie.
_BARS_WAY = Gated(
    re.compile(r"\b(horizontal|vertical)\s+bar", re.IGNORECASE),
    "bar",
)
# Wording that asks to change a frame: the frames-unchanged check stays silent.
_CHANGES = Gated(
    re.compile(
        r"\b(?:add|adds|adding|append|insert|convert|change|modify|update|replace|set|rename|drop|"
        r"remove|delete|fill|fillna|clean|normali[sz]e|sort|reorder|cast|parse|in[\s-]place|"
        r"overwrite|assign|mutate|transform|reset|round|strip|lowercase|uppercase|column|columns)\b",
        re.IGNORECASE,
    ),
    "add append insert convert chang modif updat replac set renam drop remov delet fill clean "
    "normali sort reorder cast pars place overwrit assign mutat transform round strip case column",
)
# Those words where they ask for no change to a frame: "add up their amounts", "the percent
# change", "did `prices` change", "the names are all lowercase", "indexed by the lowercase
# name", "convert that total to euros". Blanked out before _CHANGES is asked: with them in the
# quality set's prompts, a first attempt that lowercased `reviews["product"]` in place to
# answer "... indexed by the lowercase name" went unchecked, and the user's frame stayed changed.
_NO_CHANGE = Gated(
    re.compile(
        r"\badd(?:s|ed|ing)?\s+(?:them\s+|it\s+)?up\b"
        r"|\b(?:percent(?:age)?|per\s+cent|%|relative|price|net|the|a|its|their)\s+changes?\b"
        r"|\b(?:did|does|do|has|have|had|will|would)\b[^.;!?]{0,40}?\bchanged?\b"
        r"|\b(?:the|all|are|is|be|by|in|a|as)\s+(?:lower|upper)[\s-]?case\b"
        r"|\bconvert(?:s|ed|ing)?\s+(?:that|this|the|each|every|its|their)\s+[\w\s'`]{0,40}?"
        r"\btotals?\b",
        re.IGNORECASE,
    ),
    "add chang case convert",
)

# "Print the region and its total", "print the total revenue", "print the mean and the std":
# what is printed must hold a number. Not "print the region with the highest total" (the
# region is what is asked), nor "print a table".
_QUANTITY = (
    r"(?:total|sum|average|mean|median|count|amount|share|percentage|ratio|variance|"
    r"std|standard\s+deviation|correlation|number\s+of)"
)
_PRINTS_QUANTITY = Gated(
    re.compile(
        rf"\bprint\s+(?:out\s+)?(?:the\s+|its\s+|their\s+)?{_QUANTITY}\b"
        rf"|\bprint\b[^.;!?\n]*?\b(?:and|with)\s+(?:its|their|each\s+one'?s)\s+{_QUANTITY}\b",
        re.IGNORECASE,
    ),
    "print",
)

# "Print the average revenue per region", "print the total by status": one value for each group
# is printed. The word after per/by must be a column of a frame the prompt names. Not "show"
# (a chart, a table or a widget may show it) and not a chart prompt.
_PER_GROUP = Gated(
    re.compile(
        r"\bprint\b[^.;!?\n]*?\b(?:per|by|for\s+each|of\s+each|in\s+each)\s+"
        r"(?P<column>[A-Za-z_]\w*)",
        re.IGNORECASE,
    ),
    "print",
)
# "Each region's total as a Series `t`", "the median for each status as a Series `m`": the one
# named result holds one entry per group. Not "by" ("sorted by date" orders, it does not group).
_EACH_GROUP = Gated(
    re.compile(r"\b(?:per|each)\s+(?P<column>[A-Za-z_]\w*?)(?:'s)?\b", re.IGNORECASE),
    "per each",
)
#: Groups the printed-per-group check names: more is not a short list a person reads.
_MAX_GROUPS = 30
#: Rows read to find a column's groups (pandas only; a bigger frame is not judged).
_MAX_GROUP_ROWS = 200_000

# "the sample standard deviation", "population variance": which formula the prompt names.
_SPREAD = r"(?:standard\s+deviation|std|stdev|sd|variance|var)\b"
_SAMPLE = Gated(
    re.compile(rf"\bsample\s+{_SPREAD}", re.IGNORECASE),
    "sample",
)
_POPULATION = Gated(
    re.compile(rf"\bpopulation\s+{_SPREAD}", re.IGNORECASE),
    "population",
)
_VARIANCE_WORD = Gated(
    re.compile(r"\bvariances?\b", re.IGNORECASE),
    "varian",
)

# "Average rating per product", "the mean amount": an average is asked. Not "what does x mean".
_AVERAGE_WORD = Gated(
    re.compile(r"\b(?:average|mean)\b", re.IGNORECASE),
    "average mean",
)
_MEAN_VERB = re.compile(r"\b(?:does|do|did|would|could|might)\b[^.?!]*\bmean\b", re.I)

# "a dict mapping each currency to the converted amount": one value per key, not a column.
_MAPS_TO_ONE = Gated(
    re.compile(
        r"\bmap(?:s|ping)?\b[^.;!?]*?\bto\s+(?:the|its|their|a|an|one)\s+(?:\w+\s+){0,2}"
        r"(?:total|amount|sum|count|number|average|mean|value|price|cost|rate|share)\b",
        re.IGNORECASE,
    ),
    "map",
)
_DEVIATION_WORD = Gated(
    re.compile(r"\bstandard\s+deviations?\b", re.IGNORECASE),
    "deviation",
)


# "highest first", "newest first", "in descending order": the order of the one named result.
_DESCENDING = Gated(
    re.compile(
        r"\b(?:(?:highest|largest|biggest|greatest|newest|latest|most\s+recent)\s+first"
        r"|descending)\b",
        re.IGNORECASE,
    ),
    "first descending",
)
_IN_TIME = Gated(
    re.compile(r"\b(?:newest|latest|most\s+recent|oldest|earliest)\s+first\b", re.I),
    "first",
)
_ASCENDING = Gated(
    re.compile(
        r"\b(?:(?:smallest|lowest|oldest|earliest)\s+first|ascending|alphabetical(?:ly)?)\b",
        re.IGNORECASE,
    ),
    "first ascending alphabetical",
)


# "a Series `z` with the same index as `sales`": the index of the one named result.
_SAME_INDEX = Gated(
    re.compile(
        rf"\b(?:with\s+)?the\s+same\s+(?:index|rows?)\s+as\s+`(?P<frame>{_NAME})`", re.IGNORECASE
    ),
    "same",
)


@dataclass(frozen=True)
class Expected:
    """A name the prompt asks the code to bind, and the kind of value, when it says."""

    name: str
    kind: str | None = None

    def label(self, value: Any = None) -> str:
        return f"{self.name} ({self.kind})" if self.kind else self.name


@dataclass(frozen=True)
class Intent:
    """What the prompt asks for, as far as its wording is clear."""

    names: tuple[Expected, ...] = ()
    chart: bool = False
    #: "horizontal" or "vertical": the bars the prompt asks for, when it says.
    bars: str | None = None
    #: The prompt may change the user's frames (it says add, convert, sort, column, ...).
    may_change_frames: bool = True
    #: The prompt asks to print a quantity ("print the region and its total").
    prints_number: bool = False
    #: The prompt names the sample or the population standard deviation / variance.
    spread: str | None = None
    #: "variance" or "deviation" when the prompt names one of them and not the other.
    measure: str | None = None
    #: "ascending" or "descending": the order the prompt asks of its one named result.
    order: str | None = None
    #: The order is in time ("newest first"): a frame is judged by its date columns only.
    order_by_date: bool = False
    #: The user's frame whose index the one named result must have ("the same index as `X`").
    same_index: str | None = None
    #: The user's variables the prompt quotes as its data ("in `orders`"): the code reads each.
    inputs: tuple[str, ...] = ()
    #: Those of ``inputs`` that are frames with rows numbered 0..n-1 (their idxmax is a row
    #: number), unless the prompt asks for an index or position.
    row_numbered: tuple[str, ...] = ()
    #: The columns of those of ``inputs`` that are frames (name, first columns): what a repair
    #: that must bring one in says about it.
    input_columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: The integer columns of the 0..n-1 frames of ``inputs`` whose first values are not the
    #: row numbers (ids): read through ``.loc`` they pick other rows (core/row_labels.py).
    id_columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: The rows a join keeps, "inner" or "left", when the prompt says ("keeping only the
    #: orders whose customer we know").
    join: str | None = None
    #: "Print the average revenue per region": the column and its groups, each of which the
    #: output names (at least two of them).
    per_group: tuple[str, tuple[str, ...]] | None = None
    #: "Each region's total as a Series `t`": the column and its groups, each of which the one
    #: named result (a Series or a dict) has an entry for.
    result_groups: tuple[str, tuple[str, ...]] | None = None
    #: A monthly loan payment over this many years (core/formula_checks.py).
    loan_years: int | None = None
    #: The prompt asks for an average ("average rating per product"): the code computes one.
    average: bool = False
    #: A dict asked "mapping each key to the amount": each value one number, not a column.
    dict_of_one: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.names
            or self.chart
            or not self.may_change_frames
            or self.prints_number
            or self.spread
            or self.measure
            or self.inputs
            or self.join
            or self.per_group
            or self.result_groups
            or self.loan_years
            or self.average
            or self.dict_of_one
        )


def read_intent(
    prompt: str,
    bound: Iterable[str] = (),
    *,
    columns: Iterable[str] | Container[str] = (),
    functions: Iterable[str] = (),
) -> Intent:
    """The intent of ``prompt``. ``bound``: the user's names at the start of the cell (a new
    name must not be one of them); ``columns``: column names of the user's frames, and
    ``functions``: registered functions (a quoted one of these is not a result)."""
    # (A mapping or set is asked with ``in`` as it is: copying a namespace's names cost a cell
    # a pass over hundreds of them.)
    bound_names = bound if isinstance(bound, (Mapping, Set)) else set(bound)
    known_columns = columns if isinstance(columns, Container) else set(columns)
    not_results = set(functions)
    found: dict[str, Expected] = {}
    for sentence in _sentences(prompt):
        kinds = [(m.span(), _KIND_WORDS[m.group(1).lower()]) for m in _KIND.finditer(sentence)]
        for pattern in _NAMED:
            for match in pattern.finditer(sentence):
                quoted, unquoted, new = (match.groupdict().get(k) for k in ("q", "u", "new"))
                name = quoted or new or unquoted
                if not name or name in found or name in not_results:
                    continue
                if new and new in bound_names:
                    continue
                group = "q" if quoted else "new" if new else "u"
                at = match.start(group)
                if _NOT_A_VARIABLE.search(sentence[:at].rstrip("` ")):
                    continue
                if name in known_columns and "variable" not in sentence[:at].lower():
                    continue
                kind = _nearest_kind(kinds, match.span(group))
                if name in bound_names and kind is None:
                    continue  # bound already, no kind said: nothing to check
                found[name] = Expected(name, kind)
    return Intent(
        names=tuple(found.values()),
        chart=bool(_CHART.search(prompt)),
        bars=_bars_way(prompt),
        may_change_frames=_asks_for_change(prompt),
        prints_number=bool(_PRINTS_QUANTITY.search(prompt)),
        spread=_spread(prompt),
        measure=_measure(prompt),
        order=_order(prompt) if len(found) == 1 else None,
        order_by_date=bool(_IN_TIME.search(prompt)),
        same_index=_same_index(prompt, bound_names) if len(found) == 1 else None,
        inputs=_inputs(
            prompt,
            {
                n
                for n in _quoted(prompt)
                if n in bound_names
                and n not in found
                and n not in not_results
                and n not in known_columns
            },
        ),
        join=join_asked(prompt),
        loan_years=loan_years(prompt),
        average=bool(_AVERAGE_WORD.search(prompt)) and not _MEAN_VERB.search(prompt),
        dict_of_one=bool(_MAPS_TO_ONE.search(prompt)),
    )


# "the index of the largest", "the row number", "its position": a row label is the answer.
_ASKS_POSITION = re.compile(r"\b(?:index|indices|row numbers?|positions?|idxmax|idxmin)\b", re.I)
_COLUMNS_SHOWN = 20
#: The user's frames whose id columns are read (three rows each).
_MAX_FRAMES = 20
_WORD = re.compile(r"[a-z_][a-z0-9_]*")
_QUOTED = re.compile(rf"`(?P<q>{_NAME})`")


def _quoted(prompt: str) -> set[str]:
    return {match.group("q") for match in _QUOTED.finditer(prompt)}


def _inputs(prompt: str, bound: set[str]) -> tuple[str, ...]:
    """The user's variables quoted in ``prompt`` as variables (not "the column `x`")."""
    names: list[str] = []
    for match in _QUOTED.finditer(prompt):
        name = match.group("q")
        if (
            name in bound
            and name not in names
            and not _NOT_A_VARIABLE.search(prompt[: match.start()].rstrip())
        ):
            names.append(name)
    return tuple(names)


def _asks_for_change(prompt: str) -> bool:
    """Whether the prompt's wording may ask to change a frame (then no frame-write check)."""
    if not _CHANGES.search(prompt):
        return False
    return bool(_CHANGES.search(_NO_CHANGE.pattern.sub(" ", prompt)))


def _bars_way(prompt: str) -> str | None:
    ways = {m.group(1).lower() for m in _BARS_WAY.finditer(prompt)}
    return ways.pop() if len(ways) == 1 else None


def _same_index(prompt: str, bound: Container[str]) -> str | None:
    match = _SAME_INDEX.search(prompt)
    return match.group("frame") if match and match.group("frame") in bound else None


def _order(prompt: str) -> str | None:
    """ "ascending" or "descending" when the prompt says one of them and not the other."""
    down, up = bool(_DESCENDING.search(prompt)), bool(_ASCENDING.search(prompt))
    if down == up:
        return None
    return "descending" if down else "ascending"


def _measure(prompt: str) -> str | None:
    variance, deviation = bool(_VARIANCE_WORD.search(prompt)), bool(_DEVIATION_WORD.search(prompt))
    if variance == deviation:
        return None
    return "variance" if variance else "deviation"


def _spread(prompt: str) -> str | None:
    """The formula the prompt names, "sample" or "population" (standard deviation, variance),
    when it does not say the other word at all ("sample and population variance": None)."""
    sample, population = _SAMPLE.search(prompt), _POPULATION.search(prompt)
    if not (sample or population):
        return None  # (most prompts: their words are never split out)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", prompt)}
    if {"sample", "population"} <= words:
        return None
    return "sample" if sample else "population"


def intent_for(
    prompt: str,
    items: Mapping[str, Any] | Iterable[tuple[str, Any]],
    functions: Iterable[str] = (),
    *,
    frames: Callable[[], list[tuple[str, Any]]] | None = None,
) -> Intent:
    """The intent of ``prompt`` over the user's namespace as the cell starts, ``items`` (name ->
    value, or (name, value) pairs): a result must be a new name, not a column of the user's
    frames or a registered function. ``frames``: a function that gives the items whose type is
    named DataFrame, when the caller has them (called only if a name must be looked up in
    every frame)."""
    values = items if isinstance(items, Mapping) else dict(items)
    if frames is None:

        def frames() -> list[tuple[str, Any]]:
            return [(n, v) for n, v in values.items() if type(v).__name__ == "DataFrame"]

    columns = _ColumnsOf(frames, values, _quoted(prompt))
    intent = read_intent(prompt, values, columns=columns, functions=functions)
    input_frames = [n for n in intent.inputs if type(values[n]).__name__ == "DataFrame"]
    # getattr: Spark's and Polars' DataFrames have no index (Spark raises on the attribute).
    numbered = [
        n for n in input_frames if type(getattr(values[n], "index", None)).__name__ == "RangeIndex"
    ]
    # Ids are looked up in the frames the prompt quotes or refers to by their name, plural or
    # not ("the customer's name": `customers`). Read from the words first: a namespace holds
    # hundreds of names, and reading each frame's columns would cost every cell a millisecond.
    words = set(_WORD.findall(prompt.lower()))
    referred = dict.fromkeys(
        [*input_frames, *(n for w in words for n in (w, w + "s") if n in values)]
    )
    pandas_numbered = [
        n
        for n in referred
        if type(values[n]).__name__ == "DataFrame"
        and type(values[n]).__module__.startswith("pandas")
        and type(values[n].index).__name__ == "RangeIndex"
    ][:_MAX_FRAMES]
    if not (input_frames or pandas_numbered):
        return intent  # nothing to add (and ``replace`` is the slowest step here)
    return dataclasses.replace(
        intent,
        input_columns=tuple(
            (n, tuple(str(c) for c in _column_names(values[n])[:_COLUMNS_SHOWN]))
            for n in input_frames
        ),
        row_numbered=() if _ASKS_POSITION.search(prompt) else tuple(numbered),
        id_columns=tuple((n, _id_columns(values[n])) for n in pandas_numbered),
        per_group=None if intent.chart else _per_group(prompt, [values[n] for n in input_frames]),
        result_groups=_result_groups(intent, prompt, [values[n] for n in input_frames]),
    )


def _column_names(frame: Any) -> list[Any]:
    """A frame's column labels (pandas' ``tolist``: iterating pandas 3's Arrow-backed column
    index reads one label at a time through pyarrow, 4x slower)."""
    columns = frame.columns
    return columns.tolist() if hasattr(columns, "tolist") else list(columns)


class _ColumnsOf:
    """Whether a name is a column of one of ``frames``, asked only of the few names a prompt
    quotes: listing every frame's columns cost a namespace of 60 small frames a third of a
    millisecond a cell.

    A name bound to a frame is that frame unless one of the frames the prompt quotes has a
    column of that name ("`sales` per month in `stores`"); the prompt means `df` when it says
    "`df`", whatever column some other frame has. (Asking every frame cost a cell 0.2 ms more,
    in memory the rest of the cell does not touch.)"""

    def __init__(
        self,
        frames: Callable[[], list[tuple[str, Any]]],
        values: Mapping[str, Any],
        quoted: set[str],
    ) -> None:
        self.frames, self.values, self.quoted = frames, values, quoted
        self.asked: dict[object, bool] = {}  # a quoted name is asked about more than once
        self.every: list[Any] | None = None  # every frame, once one name needed them all

    def __contains__(self, name: object) -> bool:
        if name not in self.asked:
            values = self.values
            if isinstance(name, str) and type(values.get(name)).__name__ == "DataFrame":
                # (the quoted frames only: the list of all of them is not even made)
                frames = [
                    values[n] for n in self.quoted if type(values.get(n)).__name__ == "DataFrame"
                ]
            else:
                if self.every is None:
                    self.every = [frame for _, frame in self.frames()]
                frames = self.every
            self.asked[name] = any(self._in(frame, name) for frame in frames)
        return self.asked[name]

    @staticmethod
    def _in(frame: Any, name: object) -> bool:
        try:
            return name in getattr(frame, "columns", ())
        except Exception:  # an engine's odd columns object: not a column, as before
            return False


def _per_group(prompt: str, frames: list[Any]) -> tuple[str, tuple[str, ...]] | None:
    """The column a "print ... per <column>" prompt groups by and its groups, when the word
    is a text column of one of the named pandas ``frames`` with 2..30 groups, and the prompt
    names none of the groups (then it asks for some, not each)."""
    match = _PER_GROUP.search(prompt)
    return None if match is None else _groups(match.group("column"), prompt, frames)


def _result_groups(
    intent: Intent, prompt: str, frames: list[Any]
) -> tuple[str, tuple[str, ...]] | None:
    """The column and groups of "each <column>" / "per <column>" when the prompt names one
    result, a Series or a dict: the first such word that is a text column of the ``frames``
    (as :func:`_per_group` reads one)."""
    if len(intent.names) != 1 or intent.names[0].kind not in ("Series", "dict") or not frames:
        return None
    for match in _EACH_GROUP.finditer(prompt):
        found = _groups(match.group("column"), prompt, frames)
        if found is not None:
            return found
    return None


def _groups(word: str, prompt: str, frames: list[Any]) -> tuple[str, tuple[str, ...]] | None:
    """``word`` as a text column of one of the pandas ``frames`` (as written, lowercase, or
    without a plural s) and its 2..30 groups; None when it is none, or the prompt names one
    of the groups (then it asks for some, not each)."""
    for frame in frames:
        if not type(frame).__module__.startswith("pandas") or len(frame) > _MAX_GROUP_ROWS:
            continue
        for column in (word, word.lower(), word.rstrip("s"), word.lower().rstrip("s")):
            if column not in frame.columns or frame[column].dtype.kind not in "OUS":
                continue
            groups = tuple(sorted(str(v) for v in frame[column].dropna().unique()))
            if not 2 <= len(groups) <= _MAX_GROUPS:
                return None
            if any(re.search(rf"\b{re.escape(g)}\b", prompt, re.I) for g in groups):
                return None
            return column, groups
    return None


def _id_columns(frame: Any) -> tuple[str, ...]:
    """The integer columns of ``frame`` whose first values are not 0, 1, 2 (three rows read,
    of the integer columns only: slicing a wide frame first cost every cell 60 us)."""
    blocks = getattr(getattr(frame, "_mgr", None), "blocks", None)
    if blocks is not None and all(block.dtype.kind not in "iu" for block in blocks):
        return ()  # (pandas' blocks say so without building the dtypes: a wide frame of floats)
    kinds = [getattr(dtype, "kind", None) for dtype in frame.dtypes]
    integers = [at for at, kind in enumerate(kinds) if kind in ("i", "u")]
    if not integers:
        return ()
    head = frame.iloc[:3, integers]  # by position: a repeated column name is still one column
    positions = list(range(len(head)))
    return tuple(
        str(head.columns[at])
        for at in range(len(integers))
        if head.iloc[:, at].tolist() != positions
    )


def _sentences(prompt: str) -> list[str]:
    return [s for s in _SENTENCE.split(prompt) if s.strip()]


def _nearest_kind(kinds: list[tuple[tuple[int, int], str]], name: tuple[int, int]) -> str | None:
    """The kind said right next to the name ("a list called `top`", "in `n` (an int)"); None
    when none is that near, or two different kinds are as near (the wording is not clear)."""
    near = []
    for (start, end), kind in kinds:
        gap = name[0] - end if end <= name[0] else start - name[1]
        if 0 <= gap <= _KIND_WINDOW:
            near.append((gap, kind))
    near.sort()
    if not near or (len(near) > 1 and near[0][0] == near[1][0] and near[0][1] != near[1][1]):
        return None
    return near[0][1]
