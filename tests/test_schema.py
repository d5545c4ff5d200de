"""JSON Schema from type hints and docstrings, and the argument check built on the same specs."""

# The typing spellings (Optional, Union) are what is under test, next to the | forms.
# ruff: noqa: UP007, UP045

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
from typing import Annotated, Any, Literal, Optional, TypedDict, Union

import pytest

from jupyter_codegen.functions.docstrings import parse_docstring
from jupyter_codegen.functions.schema import ArgumentError, RegistrationError
from jupyter_codegen.functions.signature import function_schema, type_notes, type_spec


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Stop:
    """A stop on a trip.

    Attributes:
        city: Where to stop.
        nights: How many nights.
    """

    city: str
    nights: int = 1


@dataclasses.dataclass
class Trip:
    stops: list[Stop]
    unit: Unit = Unit.C


class Options(TypedDict, total=False):
    fast: bool
    limit: int


class Node:  # not describable
    pass


@dataclasses.dataclass
class Tree:
    children: list[Tree]


def schema_of(tp: Any) -> dict[str, Any]:
    return type_spec(tp).schema


# --- the type zoo -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (Any, {}),
        (Literal["C", "F"], {"type": "string", "enum": ["C", "F"]}),
        (Literal[1, 2, 3], {"type": "integer", "enum": [1, 2, 3]}),
        (Unit, {"type": "string", "enum": ["celsius", "fahrenheit"]}),
        (Level, {"type": "integer", "enum": [1, 2]}),
        (list[str], {"type": "array", "items": {"type": "string"}}),
        (list, {"type": "array", "items": {}}),
        (set[int], {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
        (tuple[float, ...], {"type": "array", "items": {"type": "number"}}),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (dict, {"type": "object"}),
        (Optional[int], {"type": ["integer", "null"]}),
        (str | None, {"type": ["string", "null"]}),
        (Optional[Literal["a", "b"]], {"type": ["string", "null"], "enum": ["a", "b", None]}),
        (Union[int, str], {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        (datetime.date, {"type": "string", "format": "date"}),
        (datetime.datetime, {"type": "string", "format": "date-time"}),
        (Annotated[int, "How many"], {"type": "integer", "description": "How many"}),
    ],
)
def test_scalar_and_container_schemas(tp, expected):
    assert schema_of(tp) == expected


def test_fixed_tuple():
    assert schema_of(tuple[int, str]) == {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "minItems": 2,
        "maxItems": 2,
    }
    assert type_spec(tuple[int, str]).coerce([1, "a"], "p") == (1, "a")
    with pytest.raises(ArgumentError, match="expected 2 items, got 1"):
        type_spec(tuple[int, str]).coerce([1], "p")


def test_dataclass_schema_uses_attribute_docs_and_defaults():
    assert schema_of(Stop) == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "Where to stop."},
            "nights": {"type": "integer", "description": "How many nights.", "default": 1},
        },
        "required": ["city"],
        "description": "A stop on a trip.",
    }


def test_nested_dataclass_with_enum_default():
    schema = schema_of(Trip)
    assert schema["properties"]["stops"]["items"]["properties"]["city"]["type"] == "string"
    assert schema["properties"]["unit"]["default"] == "celsius"
    assert "description" not in schema  # the generated "Trip(stops: ...)" docstring is not one


def test_typeddict_schema():
    assert schema_of(Options) == {
        "type": "object",
        "properties": {"fast": {"type": "boolean"}, "limit": {"type": "integer"}},
    }
    assert type_spec(Options).coerce({"fast": True}, "o") == {"fast": True}


def test_pydantic_model_schema_is_inlined_without_titles():
    pydantic = pytest.importorskip("pydantic")

    class Leg(pydantic.BaseModel):
        """One leg."""

        city: str
        nights: int = 1

    class Plan(pydantic.BaseModel):
        """A plan.

        Attributes:
            legs: The legs.
        """

        legs: list[Leg]
        budget: float = pydantic.Field(description="In EUR")

    schema = schema_of(Plan)
    assert "$defs" not in str(schema) and "$ref" not in str(schema) and "title" not in schema
    assert schema["description"] == "A plan."
    assert schema["properties"]["legs"]["items"]["properties"]["city"] == {"type": "string"}
    assert schema["properties"]["budget"] == {"description": "In EUR", "type": "number"}
    plan = type_spec(Plan).coerce({"legs": [{"city": "Rome"}], "budget": 10}, "plan")
    assert isinstance(plan, Plan) and plan.legs[0].nights == 1
    with pytest.raises(ArgumentError, match=r"plan\.legs\.0\.city: Field required"):
        type_spec(Plan).coerce({"legs": [{}], "budget": 1}, "plan")


@pytest.mark.parametrize(
    ("tp", "match"),
    [
        (Node, "type Node cannot be described"),
        (dict[int, str], "dictionary keys must be str"),
        (Tree, "Recursive type Tree"),
        (complex, "type complex cannot be described"),
    ],
)
def test_unsupported_types_are_registration_errors(tp, match):
    with pytest.raises(RegistrationError, match=match):
        type_spec(tp)


# --- coercion and validation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "value", "expected"),
    [
        (int, 3.0, 3),
        (float, 3, 3.0),
        (Unit, "fahrenheit", Unit.F),
        (Unit, "F", Unit.F),  # the member's name works too
        (Unit, Unit.C, Unit.C),
        (Level, 2, Level.HIGH),
        (Literal["a", "b"], "b", "b"),
        (list[int], (1, 2), [1, 2]),
        (tuple[int, ...], [1, 2], (1, 2)),
        (set[str], ["a", "a"], {"a"}),
        (Optional[int], None, None),
        (Stop, {"city": "Rome"}, Stop("Rome", 1)),
        (list[Stop], [{"city": "Oslo", "nights": 2}], [Stop("Oslo", 2)]),
        (Trip, {"stops": [], "unit": "celsius"}, Trip([], Unit.C)),
        (datetime.date, "2026-03-01", datetime.date(2026, 3, 1)),
        (Union[int, str], "x", "x"),
        (dict[str, Unit], {"a": "celsius"}, {"a": Unit.C}),
    ],
)
def test_coerce_accepts_and_converts(tp, value, expected):
    assert type_spec(tp).coerce(value, "arg") == expected


def test_coerce_accepts_numpy_values():
    np = pytest.importorskip("numpy")
    assert type_spec(int).coerce(np.int64(4), "n") == 4
    assert type_spec(float).coerce(np.float32(0.5), "x") == 0.5
    assert type_spec(list[int]).coerce(np.array([1, 2]), "xs") == [1, 2]


@pytest.mark.parametrize(
    ("tp", "value", "message"),
    [
        (str, 1, "arg: expected a string, got 1 (int)"),
        (int, True, "arg: expected an integer, got True (bool)"),
        (int, 2.5, "arg: expected an integer, got 2.5 (float)"),
        (int, "3", "arg: expected an integer, got '3' (str)"),
        (float, "1.5", "arg: expected a number"),
        (bool, 1, "arg: expected True or False"),
        (Literal["C", "F"], "K", "arg: expected one of 'C', 'F', got 'K' (str)"),
        (Literal[1, 2], True, "expected one of 1, 2, got True"),
        (Unit, "kelvin", "arg: expected one of 'celsius', 'fahrenheit' (Unit), got 'kelvin'"),
        (list[int], "12", "arg: expected a list, got '12' (str)"),
        (list[int], [1, "x"], "arg[1]: expected an integer"),
        (dict[str, int], {"a": "b"}, "arg.a: expected an integer"),
        (Stop, {"town": "x"}, "arg: unexpected field 'town' for Stop; fields: city, nights"),
        (Stop, {}, "arg: missing field 'city' for Stop"),
        (Stop, "Rome", "arg: expected Stop"),
        (list[Stop], [{"city": 1}], "arg[0].city: expected a string"),
        (Optional[int], "x", "arg: expected an integer, got 'x'"),
        (Union[int, str], 1.5, "arg: expected int | str, got 1.5"),
        (datetime.date, "March 1", "expected an ISO date"),
    ],
)
def test_coerce_rejects_with_a_clear_reason(tp, value, message):
    with pytest.raises(ArgumentError) as info:
        type_spec(tp).coerce(value, "arg")
    assert message in str(info.value)


# --- functions ----------------------------------------------------------------------------


def get_weather(
    city: str, unit: Literal["C", "F"] = "C", days: int | None = None, *, detail: bool = False
) -> dict:
    """Current weather for a city.

    Looks it up in the weather service.

    Args:
        city (str): City name,
            e.g. "Paris".
        unit: Temperature unit.
        days: Forecast days, or None for now.
        detail: Include wind and humidity.

    Returns:
        A dict with temp and sky.
    """
    return {}


def test_function_schema_google_docstring():
    schema = function_schema(get_weather)
    assert schema.name == "get_weather"
    assert schema.description.startswith("Current weather for a city.\n\nLooks it up")
    assert schema.description.endswith("Returns: A dict with temp and sky.")
    assert schema.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": 'City name, e.g. "Paris".'},
            "unit": {
                "type": "string",
                "enum": ["C", "F"],
                "description": "Temperature unit.",
                "default": "C",
            },
            "days": {
                "type": ["integer", "null"],
                "description": "Forecast days, or None for now.",
                "default": None,
            },
            "detail": {
                "type": "boolean",
                "description": "Include wind and humidity.",
                "default": False,
            },
        },
        "required": ["city"],
    }
    assert schema.python_signature() == (
        "(city: str, unit: Literal['C', 'F'] = 'C', days: int | None = None, *, "
        "detail: bool = False) -> dict"
    )
    assert not schema.is_async


def test_check_collects_every_problem():
    schema = function_schema(get_weather)
    assert schema.check({"city": "Oslo", "days": 2.0}) == {"city": "Oslo", "days": 2}
    with pytest.raises(ArgumentError) as info:
        schema.check({"unit": "K", "color": "red"})
    message = str(info.value)
    assert "unexpected argument 'color' (parameters: city, unit, days, detail)" in message
    assert "unit: expected one of 'C', 'F', got 'K'" in message
    assert "missing required argument 'city'" in message


def test_numpy_docstring():
    def area(width: float, height: float, unit: str = "m") -> float:
        """Area of a rectangle.

        Parameters
        ----------
        width, height : float
            Side lengths,
            in units.
        unit : str, optional
            Unit name.

        Returns
        -------
        float
            The area.
        """
        return width * height

    schema = function_schema(area)
    props = schema.parameters["properties"]
    assert props["width"]["description"] == "Side lengths, in units."
    assert props["height"]["description"] == "Side lengths, in units."
    assert props["unit"]["description"] == "Unit name."
    assert schema.description == "Area of a rectangle.\n\nReturns: The area."


def test_sphinx_docstring():
    doc = parse_docstring(
        """Scale a value.

        :param x: The value,
            any number.
        :type x: float
        :param int factor: The factor.
        :returns: x times factor.
        """
    )
    assert doc.description == "Scale a value."
    assert doc.params == {"x": "The value, any number.", "factor": "The factor."}
    assert doc.returns == "x times factor."


def test_docstring_sections_are_not_part_of_the_description():
    doc = parse_docstring(
        """Do it.

        Raises:
            ValueError: if bad.

        Example:
            >>> do()
        """
    )
    assert doc.description == "Do it." and doc.params == {} and doc.summary == "Do it."


def test_async_and_description_override():
    async def fetch(url: str) -> str:
        """Fetch a URL."""
        return url

    schema = function_schema(fetch, name="get_page", description="Download a page.")
    assert schema.is_async and schema.name == "get_page"
    assert schema.description == "Download a page."


def test_partial_and_callable_objects():
    def scale(x: float, factor: float) -> float:
        return x * factor

    assert set(function_schema(functools.partial(scale, factor=2)).parameters["properties"]) == {
        "x",
        "factor",
    }

    class Adder:
        def __call__(self, a: int, b: int = 1) -> int:
            return a + b

    assert function_schema(Adder(), name="add").parameters["required"] == ["a"]


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda city: city, r"parameter\(s\) city have no type annotation"),
        (lambda *args: 0, r"\*args cannot be offered"),
        (lambda **kw: 0, r"\*\*kw cannot be offered"),
    ],
)
def test_registration_errors(fn, match):
    with pytest.raises(RegistrationError, match=match):
        function_schema(fn, name="f")


def test_unresolvable_annotation_and_bad_name():
    def f(x: NotDefinedAnywhere) -> None:  # type: ignore[name-defined] # noqa: F821
        pass

    with pytest.raises(RegistrationError, match="'NotDefinedAnywhere' could not be resolved"):
        function_schema(f)
    with pytest.raises(RegistrationError, match="not a valid Python name"):
        function_schema(get_weather, name="get weather")


def test_unsupported_parameter_type_names_the_parameter():
    def f(node: Node) -> None:
        pass

    with pytest.raises(RegistrationError, match="f: parameter 'node': type Node cannot be"):
        function_schema(f)


def test_type_notes_explain_how_to_pass_classes():
    def plan(trip: Trip, options: Options | None = None, level: Level = Level.LOW) -> None:
        pass

    notes = type_notes(function_schema(plan))
    assert notes == [
        "Trip: dataclass (stops: list[Stop], unit: Unit = Unit.C) (or a dict of these)",
        "Stop: dataclass (city: str, nights: int = 1) (or a dict of these)",
        "Unit: Enum of 'celsius', 'fahrenheit' (pass a member or its value)",
        "Options: TypedDict (fast: bool (optional), limit: int (optional)) (or a dict of these)",
        "Level: Enum of 1, 2 (pass a member or its value)",
    ]
