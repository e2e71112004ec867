"""Typed dataclass configs: every value checked against its field's type, YAML files read.

Dataclasses check nothing, and a YAML file or a caller can put anything in a field:
``epochs: "three"`` would otherwise fail far from its cause, as a ``TypeError`` in a
comparison. Errors name the field, and for a file also its path and line.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

C = TypeVar("C")


class ConfigError(ValueError):
    """A config value of the wrong type or out of range; ``key`` is the field it is for."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def check_field_types(config: Any) -> None:
    """Raise :class:`ConfigError` for the first field of dataclass ``config`` of the wrong type."""
    hints = typing.get_type_hints(type(config))
    for field in dataclasses.fields(config):
        value, expected = getattr(config, field.name), hints[field.name]
        if not _matches(value, expected):
            wanted = _describe(expected)
            hint = _hint(value, expected)
            raise ConfigError(field.name, f"{field.name} must be {wanted}, got {value!r}{hint}")


def load_yaml_config(
    cls: type[C], path: Path, overrides: Mapping[str, Any], *, what: str = "options"
) -> C:
    """``cls`` built from a YAML mapping of its field names; ``overrides`` win over the file.

    Malformed YAML, a file that is not a mapping, unknown keys and wrong values all raise a
    ``ValueError`` that names ``path`` (and the line, where YAML gives one).
    """
    text = Path(path).read_text()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or error
        raise ValueError(f"{path}{where}: not valid YAML ({problem})") from error
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of {what} to values, got {data!r}")
    names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(str(key) for key in data if key not in names)
    if unknown:
        raise ValueError(f"{path}: unknown {what} {unknown}; known: {sorted(names)}")
    hints = typing.get_type_hints(cls)
    values = {
        key: tuple(value) if _takes_tuple(hints[key]) and isinstance(value, list) else value
        for key, value in data.items()
    }  # fmt: skip
    try:
        return cls(**{**values, **overrides})
    except ConfigError as error:
        if error.key in overrides:
            raise
        line = _key_lines(text).get(error.key)
        where = f", line {line}" if line else ""
        raise ConfigError(error.key, f"{path}{where}: {error}") from error


def _takes_tuple(hint: Any) -> bool:
    """Whether a field of type ``hint`` holds a tuple (``tuple[...]`` or ``tuple[...] | None``);
    YAML has only lists."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_takes_tuple(arm) for arm in typing.get_args(hint))
    return typing.get_origin(hint) is tuple


def _key_lines(text: str) -> dict[str, int]:
    """The line (1-based) of each top-level key of a YAML mapping."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def _matches(value: Any, expected: Any) -> bool:
    """Whether ``value`` is of the annotated type ``expected`` (types this does not know pass)."""
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if expected is Any:
        return True
    if expected is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, option) for option in args)
    if origin is Literal:
        return value in args
    if expected is bool:
        return isinstance(value, bool)
    if expected in (int, float):  # an integer is a fine float; a bool is neither
        wanted = int if expected is int else (int, float)
        return isinstance(value, wanted) and not isinstance(value, bool)
    if expected is str:
        return isinstance(value, str)
    if origin is dict:
        return isinstance(value, dict) and all(
            _matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items()
        )
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value) if isinstance(value, tuple) else ()
        return (
            isinstance(value, tuple)
            and len(value) == len(args)
            and all(_matches(item, arg) for item, arg in zip(value, args, strict=True))
        )
    return True


def _describe(expected: Any) -> str:
    """``expected`` in words: "an integer", "a number or null", "one of ('a', 'b')"."""
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(option) for option in args)
    if origin is Literal:
        return f"one of {args}"
    if origin is dict:
        each = "" if args[1] is Any else f" whose values are each {_describe(args[1])}"
        return f"a mapping{each}"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list, each {_describe(args[0])}"
        return f"a list of {len(args)} values, each {_describe(args[0])}"
    words = {type(None): "null", bool: "true or false", int: "an integer", float: "a number"}
    return words.get(expected, "a string" if expected is str else str(expected))


def _hint(value: Any, expected: Any) -> str:
    """Why a number might have arrived as text: quotes, or YAML's exponent rule."""
    if not isinstance(value, str):
        return ""
    try:
        number = float(value)
    except ValueError:
        return ""
    as_numbers = [number, int(number)] if number.is_integer() else [number]
    if not any(_matches(candidate, expected) for candidate in as_numbers):
        return ""
    return " (text: write numbers without quotes; YAML reads 1e-3 as text, 1.0e-3 as a number)"
