"""The I/O shell uses the boto3 stubs' typed clients: no client is annotated ``Any``.

``mypy --strict`` checks a call on a typed client (``IAMClient``, ``S3Client`` …) against
the service's API; on an ``Any`` client it checks nothing. This test reads every module
of the package (AST, nothing is imported), with no exception, and fails on:

- a parameter, attribute or variable named ``client``, ``…_client``, ``clients`` or
  ``…_clients`` (leading underscores ignored) whose annotation mentions ``Any``
  (``Any``, ``Any | None``, ``dict[str, Any]`` …);
- a parameter named after a service :class:`rootguard._aws.ClientFactory` makes
  (``sts``, ``iam``, ``organizations`` …) annotated plain ``Any``;
- a function named ``client`` or ``…_client`` whose return annotation mentions ``Any``.

A typed client is ``ctx.factory.client("iam", region)`` (literal service name → the stubs'
client) or, for calls sent by operation name, ``botocore.client.BaseClient``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "rootguard"


def _mentions_any(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return "Any" in annotation.value
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id == "Any":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Any":
            return True
    return False


def _is_plain_any(annotation: ast.expr | None) -> bool:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.strip() in {"Any", "typing.Any"}
    return (isinstance(annotation, ast.Name) and annotation.id == "Any") or (
        isinstance(annotation, ast.Attribute) and annotation.attr == "Any"
    )


def _client_name(name: str) -> bool:
    bare = name.lstrip("_")
    return bare in {"client", "clients"} or bare.endswith(("_client", "_clients"))


def factory_services() -> frozenset[str]:
    """The service names of ``ClientFactory.client``'s overloads (``Literal["iam"]`` …)."""
    tree = ast.parse((PACKAGE / "_aws.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "ClientFactory":
            for item in node.body:
                if not (isinstance(item, ast.FunctionDef) and item.name == "client"):
                    continue
                service = item.args.args[1].annotation
                if (
                    isinstance(service, ast.Subscript)
                    and isinstance(service.value, ast.Name)
                    and service.value.id == "Literal"
                    and isinstance(service.slice, ast.Constant)
                    and isinstance(service.slice.value, str)
                ):
                    found.add(service.slice.value)
    return frozenset(found)


def any_clients(source: str, services: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line, what) of every ``Any`` client in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if _client_name(node.name) and _mentions_any(node.returns):
                yield node.lineno, f"function {node.name} returns Any"
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is None:
                    continue
                named_client = _client_name(arg.arg) and _mentions_any(arg.annotation)
                named_service = arg.arg in services and _is_plain_any(arg.annotation)
                if named_client or named_service:
                    yield arg.lineno, f"parameter {arg.arg} of {node.name}"
        elif isinstance(node, ast.AnnAssign):
            target = node.target
            name = (
                target.id
                if isinstance(target, ast.Name)
                else target.attr
                if isinstance(target, ast.Attribute)
                else None
            )
            if name is not None and _client_name(name) and _mentions_any(node.annotation):
                yield node.lineno, f"{name} annotated Any"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_factory_names_its_services() -> None:
    services = factory_services()
    assert {"sts", "iam", "organizations", "s3", "cloudtrail", "kms"} <= services


def test_no_client_is_annotated_any() -> None:
    services = factory_services()
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in _modules()
        for line, what in any_clients(path.read_text(encoding="utf-8"), services)
    ]
    assert found == []


def test_the_detector_finds_each_kind() -> None:
    source = """
from typing import Any
import typing

class Holder:
    _clients: dict[str, Any]
    def __init__(self, s3_client: "Any | None") -> None:
        self.client: typing.Any = None
    def client(self, service: str) -> Any: ...

def f(iam: Any, *, events: list[Any], sts: "Any") -> None:
    clients: dict[str, Any] = {}
"""
    found = sorted(what for _, what in any_clients(source, frozenset({"iam", "events", "sts"})))
    assert found == [
        "_clients annotated Any",
        "client annotated Any",
        "clients annotated Any",
        "function client returns Any",
        "parameter iam of f",
        "parameter s3_client of __init__",
        "parameter sts of f",
    ]


def test_typed_clients_pass() -> None:
    source = """
from typing import Any
from botocore.client import BaseClient

def f(client: BaseClient, iam: IAMClient, events: list[Any], clients: dict[str, S3Client]) -> None:
    pass
"""
    assert list(any_clients(source, frozenset({"iam", "events"}))) == []
