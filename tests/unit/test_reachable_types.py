"""Every class a user can reach from the public API is public: exported from ``rootguard``
(in ``__all__``) or listed in :data:`OPAQUE` with the reason it need not be.

"Reachable" is walked from every name of ``rootguard.__all__``: pydantic fields,
dataclass / NamedTuple / class annotations, the return types of public methods and
properties, the parameters and return types of public functions, and the bases of
rootguard's classes — recursively, through unions, lists, tuples, dicts, ``Literal`` and
``Annotated``.
"""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from pydantic import BaseModel

import rootguard
from rootguard._outputs import Record

OPAQUE: dict[str, str] = {
    "BaseAction": "the shared base of ApiAction and ManualStep, whose fields are "
    "documented on them; to test for any action: "
    "isinstance(a, (rootguard.ApiAction, rootguard.ManualStep))",
    "DerivedFieldsModel": "an implementation base of Report and OrganizationReport (how "
    "their computed fields are read back from JSON); it adds no public member",
}
"""Classes reachable from the public API that are deliberately not exported, and why.
Keep it small: a class a user handles (isinstance, fields, building one) is exported."""

_LOCALNS: dict[str, Any] = {"boto3": boto3, "Record": Record}
"""Names some public signatures import under ``TYPE_CHECKING`` only."""


def _classes_in(annotation: object) -> Iterator[type]:
    """The classes an annotation names (through unions, containers, Literal, Annotated)."""
    if isinstance(annotation, typing.TypeVar):
        return
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        for value in typing.get_args(annotation):
            if isinstance(value, enum.Enum):
                yield type(value)
        return
    if origin is not None:
        if isinstance(origin, type):
            yield origin
        for arg in typing.get_args(annotation):
            if arg is not Ellipsis and not isinstance(arg, (str, int, float)):
                yield from _classes_in(arg)
        return
    if isinstance(annotation, type):
        yield annotation


def _ours(cls: type) -> bool:
    return cls.__module__ == "rootguard" or cls.__module__.startswith("rootguard.")


def _hints(obj: Callable[..., Any] | type, where: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, localns=_LOCALNS, include_extras=True)
    except NameError as exc:  # a signature the walk cannot read would hide its types
        raise AssertionError(f"cannot resolve the annotations of {where}: {exc}") from None


def _members(cls: type) -> Iterator[tuple[str, object]]:
    """(name, annotation) of what a user reaches from one of rootguard's classes."""
    if issubclass(cls, enum.Enum) or issubclass(cls, BaseException):
        return
    if issubclass(cls, BaseModel):
        for name, field in cls.model_fields.items():
            yield name, field.annotation
    else:
        for name, annotation in _hints(cls, cls.__qualname__).items():
            if not name.startswith("_"):
                yield name, annotation
    for name, attribute in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attribute, property) and attribute.fget is not None:
            function: object = attribute.fget
        elif isinstance(attribute, (classmethod, staticmethod)):
            function = attribute.__func__
        else:
            function = attribute
        if inspect.isfunction(function) and function.__module__.startswith("rootguard"):
            for hint_name, hint in _hints(function, f"{cls.__qualname__}.{name}").items():
                yield f"{name}({hint_name})", hint
    for base in cls.__bases__:
        if _ours(base) and not base.__name__.startswith("_"):
            yield "<base>", base


def reachable() -> dict[type, str]:
    """Every class of rootguard reachable from ``__all__`` → the path that reaches it."""
    found: dict[type, str] = {}

    def visit(annotation: object, path: str) -> None:
        for cls in _classes_in(annotation):
            if not _ours(cls) or cls in found:
                continue
            found[cls] = path
            for name, member in _members(cls):
                visit(member, f"{path}.{name}")

    for name in rootguard.__all__:
        obj = getattr(rootguard, name)
        if inspect.isfunction(obj):
            for hint_name, hint in _hints(obj, name).items():
                visit(hint, f"{name}({hint_name})")
        else:
            visit(obj, name)
    return found


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _opaque(cls: type) -> bool:
    # by class name, so that moving a class between private modules keeps its entry
    return cls.__qualname__ in OPAQUE


def test_every_reachable_class_is_exported_or_opaque() -> None:
    leaked = {
        _qualified(cls): path
        for cls, path in reachable().items()
        if getattr(rootguard, cls.__name__, None) is not cls and not _opaque(cls)
    }
    assert leaked == {}


def test_the_opaque_list_is_current() -> None:
    # an entry for a class that is no longer reachable (or that is now exported) goes
    found = {cls.__qualname__ for cls in reachable()}
    for name in OPAQUE:
        assert name in found, name
        assert name not in rootguard.__all__, name


def test_the_walk_sees_through_unions_and_containers() -> None:
    # the walk itself: Plan.actions is a tuple of an Annotated discriminated union,
    # RegionSnapshot sits in a dict's values, SnsSubscription in a list inside it.
    found = reachable()
    assert rootguard.CreateTrail in found
    assert rootguard.ManualStep in found
    assert rootguard.SnsSubscription in found
    assert found[rootguard.SnsSubscription].startswith("AccountSnapshot.")
    assert rootguard.OrganizationSummary in found  # through a method's return type


def test_every_exported_class_has_its_own_docstring() -> None:
    # inspect.getdoc would inherit pydantic's BaseModel docstring: ask the class itself
    for name in rootguard.__all__:
        obj = getattr(rootguard, name)
        if inspect.isclass(obj):
            assert (obj.__doc__ or "").strip(), name
