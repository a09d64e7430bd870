"""Name registries: one per kind of component.

Every activation, loss, initializer, optimizer and schedule is registered under
one or more string names, so the library, the command line, config files and
model files all refer to components the same way::

    >>> from mlplab.optimizers import OPTIMIZERS
    >>> OPTIMIZERS.get("adam")
    <class 'mlplab.optimizers.Adam'>

An unknown name raises :class:`UnknownNameError` listing the valid names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
C = TypeVar("C")


def _normalize(name: str) -> str:
    """Names are case-insensitive and treat '-' as '_' ("Leaky-ReLU" is "leaky_relu")."""
    return name.lower().replace("-", "_")


class UnknownNameError(ValueError, KeyError):
    """Raised when a name is not in a registry; the message lists valid names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class Registry(Generic[T]):
    """A mapping from lower-case names to components of one kind.

    Parameters
    ----------
    kind : str
        What the registry holds ("activation", "loss", ...), used in messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, *names: str) -> Callable[[T], T]:
        """Decorator registering a component under each of ``names``."""

        def decorate(component: T) -> T:
            for name in names:
                key = _normalize(name)
                if key in self._entries:
                    raise ValueError(f"{self.kind} name {name!r} is already registered")
                self._entries[key] = component
            return component

        return decorate

    def get(self, name: str) -> T:
        """Return the component registered as ``name`` (case-insensitive)."""
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a string, got {type(name).__name__}: {name!r}")
        key = _normalize(name)
        if key not in self._entries:
            valid = ", ".join(sorted(self._entries))
            raise UnknownNameError(f"unknown {self.kind} {name!r}; valid names: {valid}")
        return self._entries[key]

    def create(self: Registry[type[C]], spec: str | C, /, **kwargs: Any) -> C:
        """Build a component from a name, or return ``spec`` itself if it is not a string.

        ``create("adam", params=ps, lr=0.01)`` calls the registered class with
        the keyword arguments (so it is typed for registries of classes);
        anything that is not a string is assumed to be a ready-made component
        and is returned unchanged.
        """
        if isinstance(spec, str):
            return self.get(spec)(**kwargs)
        return spec

    def names(self) -> list[str]:
        """Sorted list of registered names."""
        return sorted(self._entries)

    def name_of(self, component: T) -> str:
        """First registered name of ``component`` (used when saving models)."""
        for name, entry in self._entries.items():
            if entry is component:
                return name
        raise UnknownNameError(f"{component!r} is not a registered {self.kind}")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _normalize(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()})"
