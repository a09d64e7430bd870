"""Rules an option's value must follow, and errors that name the option as the user wrote it.

A rule is data (scikit-learn's ``_parameter_constraints`` habit): :class:`Interval`,
:class:`Integer`, :class:`Names`, :class:`Choice`, :class:`Flag`, :class:`Sizes` and
:class:`Text`, optionally accepting ``None``. ``rule.check(value)`` returns the value in
its canonical type (``"1e-3"`` read by YAML as a string becomes ``0.001``, ``3.0`` becomes
``3`` for an integer) or raises :class:`RuleViolation` with what is wrong and what is allowed.

Front ends never format those messages themselves: they wrap them with an :class:`Origin`,
which spells the option the way the user wrote it: ``--lr`` on the command line, ``lr`` in a
config file (with the file's name), a playground field or a search space. So the same bad value
gets the same rule from every front end::

    --lr: -1.0 is not allowed (must be > 0)
    lr in recipe.yaml: -1.0 is not allowed (must be > 0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from ..registry import Registry


class RuleViolation(ValueError):
    """A value a rule refuses; ``problem`` says what is wrong, ``allowed`` what the rule accepts."""

    def __init__(self, value: Any, allowed: str, problem: str = "is not allowed") -> None:
        self.value, self.allowed, self.problem = value, allowed, problem
        super().__init__(f"{shown(value)} {problem} ({allowed})")


def shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (a hostile value may be huge).

    Nothing and yes/no are written as JSON and YAML write them (``null``, ``true``, ``false``),
    alone or in a list: the words of the files and pages the values come from, not Python's.
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return f"an integer of {value.bit_length()} bits"  # repr of a huge int is slow, or refused past 4300 digits
    try:
        text = _json_words(value)
    except RecursionError:
        return "a deeply nested value"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_words(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, list) and len(value) <= 100:
        return "[" + ", ".join(_json_words(item) for item in value) + "]"
    return repr(value)


class ConfigError(ValueError):
    """A bad option value, reported once in the words of where it came from (see :class:`Origin`)."""

    def __init__(self, option: str, spelled: str, violation: RuleViolation | str) -> None:
        self.option = option
        self.spelled = spelled
        super().__init__(f"{spelled}: {violation}")


@dataclass(frozen=True)
class Origin:
    """Where option values come from, to name an option as the user wrote it.

    ``kind`` is ``"flag"`` (``--batch-size``), ``"file"`` (``batch_size in recipe.yaml``),
    ``"field"`` (a playground field: ``batch_size``), ``"space"`` (a search space:
    ``batch_size``) or ``"argument"`` (a Python argument: ``batch_size``).
    """

    kind: str = "argument"
    path: str | None = None

    def spell(self, option: str) -> str:
        if self.kind == "flag":
            return "--" + option.replace("_", "-")
        if self.kind == "file" and self.path is not None:
            return f"{option} in {self.path}"
        return option

    def error(self, option: str, violation: RuleViolation | str) -> ConfigError:
        return ConfigError(option, self.spell(option), violation)


FLAG, FIELD, SPACE, ARGUMENT = Origin("flag"), Origin("field"), Origin("space"), Origin("argument")


def file_origin(path: object) -> Origin:
    """The origin of values read from the config file ``path``."""
    return Origin("file", str(path))


class Rule(Protocol):
    """What every rule offers: ``check`` (canonical value or :class:`RuleViolation`) and ``describe``."""

    def check(self, value: Any) -> Any: ...

    def describe(self) -> str: ...


class _AsTyped(str):
    """A value typed as text (a flag, YAML's ``1e-3``) shown as typed, without quotes, once it is known to be a number."""

    def __repr__(self) -> str:
        return str(self)


def _typed(value: Any) -> Any:
    if isinstance(value, str):
        return _AsTyped(value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return _AsTyped(" ".join(value))  # --hidden 256 0
    return value


def _real(value: Any, allowed: str) -> float:
    """A finite real number; a string is parsed (YAML 1.1 reads ``1e-3`` without a dot as a string)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise RuleViolation(value, allowed, "is not a number") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RuleViolation(value, allowed, "is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise RuleViolation(value, allowed, "is not a finite number") from None
    if not math.isfinite(number):
        raise RuleViolation(value, allowed, "is not a finite number")
    return number


@dataclass(frozen=True)
class Interval:
    """A real number in ``[low, high]``; ``low_open``/``high_open`` exclude an end; ``None`` is unbounded."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    optional: bool = False

    def describe(self) -> str:
        if self.high is None and self.low is not None:
            text = f"must be {'>' if self.low_open else '>='} {self.low:g}"
        elif self.low is None and self.high is not None:
            text = f"must be {'<' if self.high_open else '<='} {self.high:g}"
        elif self.low is not None and self.high is not None:
            text = (
                f"must be in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"
            )
        else:
            text = "must be a finite number"
        return text + (", or null for none" if self.optional else "")

    def check(self, value: Any) -> float | None:
        if value is None and self.optional:
            return None
        number = _real(value, self.describe())
        too_low = self.low is not None and (number < self.low or (self.low_open and number == self.low))
        too_high = self.high is not None and (number > self.high or (self.high_open and number == self.high))
        if too_low or too_high:
            raise RuleViolation(_typed(value), self.describe())
        return number


@dataclass(frozen=True)
class Integer:
    """A whole number in ``[low, high]`` (``None``: unbounded); a whole-valued float is accepted.

    ``optional`` accepts ``None``; ``zero_is_none`` reads 0 as ``None`` (``batch_size: 0`` is the whole set).
    """

    low: int | None = None
    high: int | None = None
    optional: bool = False
    zero_is_none: bool = False

    def describe(self) -> str:
        if self.high is None:
            text = f"must be a whole number >= {self.low}"
        elif self.low is None:
            text = f"must be a whole number <= {self.high}"
        else:
            text = f"must be a whole number in [{self.low}, {self.high}]"
        return text + (", or null for none" if self.optional else "")

    def check(self, value: Any) -> int | None:
        if value is None and self.optional:
            return None
        number = _real(value, self.describe())
        if number != int(number):
            raise RuleViolation(_typed(value), self.describe(), "is not a whole number")
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise RuleViolation(_typed(value), self.describe())
        return None if self.zero_is_none and number == 0 else int(number)


@dataclass(frozen=True)
class Names:
    """A name in a :class:`~mlplab.registry.Registry` (case-insensitive, aliases too), or one of ``extra``.

    With ``none`` set, that name (e.g. ``"none"``) and ``None`` both mean no component: ``None``.
    """

    registry: Registry[Any]
    extra: tuple[str, ...] = ()
    none: str | None = None

    def describe(self) -> str:
        return "one of " + ", ".join([*([self.none] if self.none else []), *self.extra, *self.registry.names()])

    def check(self, value: Any) -> str | None:
        if self.none is not None and value in (None, self.none):
            return None
        if isinstance(value, str) and (value in self.extra or value in self.registry):
            return value
        raise RuleViolation(value, self.describe(), "is not a known name")


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of values (or ``None`` when ``optional``)."""

    values: tuple[Any, ...]
    optional: bool = False

    def describe(self) -> str:
        return "one of " + ", ".join(str(v) for v in self.values) + (", or null" if self.optional else "")

    def check(self, value: Any) -> Any:
        if value is None and self.optional:
            return None
        if isinstance(value, bool) or value not in self.values:
            raise RuleViolation(value, self.describe(), "is not a valid choice")
        return value


@dataclass(frozen=True)
class Flag:
    """``true`` or ``false``."""

    def describe(self) -> str:
        return "must be true or false"

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise RuleViolation(value, self.describe(), "is not true or false")
        return value


@dataclass(frozen=True)
class Sizes:
    """Layer sizes: a list of whole numbers in ``[1, high]``; ``"256 128"``, ``"256,128"`` and ``256`` are read too."""

    high: int | None = None
    max_length: int | None = None

    def describe(self) -> str:
        text = (
            "must be a list of layer sizes >= 1"
            if self.high is None
            else f"must be a list of layer sizes in [1, {self.high}]"
        )
        return text + ("" if self.max_length is None else f", at most {self.max_length} of them")

    def check(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise RuleViolation(value, self.describe(), "is not a list of layer sizes")
        if self.max_length is not None and len(value) > self.max_length:
            raise RuleViolation(_typed(value), self.describe(), "has too many layers")
        element = Integer(1, self.high)
        try:
            return tuple(int(element.check(size) or 0) for size in value)
        except RuleViolation:
            raise RuleViolation(_typed(value), self.describe()) from None


@dataclass(frozen=True)
class Text:
    """Any string (a path or a name), or ``None`` when ``optional``."""

    optional: bool = False

    def describe(self) -> str:
        return "must be a string" + (", or null" if self.optional else "")

    def check(self, value: Any) -> str | None:
        if value is None and self.optional:
            return None
        if not isinstance(value, str) or not value:
            raise RuleViolation(value, self.describe(), "is not a non-empty string")
        return value


def check_in(rule: Rule, option: str, value: Any, origin: Origin) -> Any:
    """``rule.check(value)``, with a violation reported as a :class:`ConfigError` naming ``option`` as ``origin`` spells it."""
    try:
        return rule.check(value)
    except RuleViolation as violation:
        raise origin.error(option, violation) from None


def check_unknown(names: Collection[str], known: Collection[str], origin: Origin) -> None:
    """Refuse option names that are not ``known``, listing the valid ones."""
    unknown = sorted(set(names) - set(known))
    if unknown:
        spelled = ", ".join(origin.spell(name) for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise ConfigError(unknown[0], spelled, f"unknown option{plural}; valid: {', '.join(sorted(known))}")
