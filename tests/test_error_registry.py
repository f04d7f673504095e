"""One registry of error codes (tourdraw.errors.Code): every code a refusal
carries anywhere in the source is a member with its HTTP status, none is a bare
string, the API answers each with the registry's status, and its schema lists
every one."""

import ast
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import tourdraw
from tests import support
from tourdraw.errors import Code, DomainError

API = "/api/v1"
SOURCE = Path(tourdraw.__file__).resolve().parent


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield str(path.relative_to(SOURCE)), ast.parse(path.read_text(encoding="utf-8"))


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def _code_parameters(tree: ast.Module) -> dict[str, int]:
    """Functions of a module that take a ``Code``, by name: the position of that
    argument (``self`` left out), so a string passed there is found too."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names = [a for a in node.args.posonlyargs + node.args.args if a.arg != "self"]
            for position, argument in enumerate(names):
                if isinstance(argument.annotation, ast.Name) and argument.annotation.id == "Code":
                    found[node.name] = position
    return found


def _members_named(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Code"
        ):
            yield node.attr


def _string_codes(tree: ast.Module, takes_code: dict[str, int]) -> Iterator[int]:
    """Lines where a code is written as a string: ``code="..."``, ``code=f"..."``,
    ``{"code": "..."}``, or a string passed where a function takes a Code."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "code" and _is_text(keyword.value):
                    yield node.lineno
            position = takes_code.get(_called_name(node), len(node.args))
            if position < len(node.args) and _is_text(node.args[position]):
                yield node.lineno
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code" and _is_text(value):
                    yield node.lineno


def _scan() -> tuple[dict[str, set[str]], list[str]]:
    """Every ``Code.X`` named, by member name and where; every string code, where.
    A private helper taking a Code is looked for in its own module only (two
    modules' ``_error`` differ), a public one everywhere (``errors.error``)."""
    modules = list(_modules())
    public: dict[str, int] = {}
    for _, tree in modules:
        public |= {k: v for k, v in _code_parameters(tree).items() if not k.startswith("_")}
    named: dict[str, set[str]] = {}
    strings = []
    for where, tree in modules:
        for name in _members_named(tree):
            named.setdefault(name, set()).add(where)
        takes_code = public | _code_parameters(tree)
        strings += [f"{where}:{line}" for line in _string_codes(tree, takes_code)]
    return named, strings


def test_every_code_named_in_the_source_is_a_member_of_the_registry() -> None:
    named, _ = _scan()
    # The scan sees the raise sites (well over a hundred codes are named).
    assert len(named) > 100
    unknown = {name: places for name, places in named.items() if name not in Code.__members__}
    assert unknown == {}


def test_no_code_is_written_as_a_string() -> None:
    _, strings = _scan()
    assert strings == []


def test_the_scan_finds_a_string_code_in_each_form_it_looks_for() -> None:
    tree = ast.parse(
        "def refuse(message: str, code: Code) -> None: ...\n"
        'DomainError("m", code="round_closed")\n'
        'DomainError("m", code=f"offer_{state}")\n'
        'refuse("m", "too_late")\n'
        'answer = {"code": "not_found"}\n'
        'fine = DomainError("m", code=Code.ROUND_CLOSED)\n'
    )
    assert list(_string_codes(tree, _code_parameters(tree))) == [2, 3, 4, 5]


def test_every_member_is_used_and_has_an_error_status() -> None:
    named, _ = _scan()
    assert set(Code.__members__) - set(named) == set()
    for code in Code:
        assert isinstance(code.status, HTTPStatus) and 400 <= code.status < 600, code


def test_the_registry_keeps_the_statuses_the_api_answered_before_it() -> None:
    assert Code.ROUND_CLOSED.status == HTTPStatus.BAD_REQUEST
    assert Code.REQUIRED.status == Code.INVALID.status == HTTPStatus.UNPROCESSABLE_ENTITY
    assert Code.NOT_A_VISITOR.status == HTTPStatus.FORBIDDEN
    assert Code.RATE_LIMITED.status == HTTPStatus.TOO_MANY_REQUESTS


def test_several_problems_are_carried_by_the_base_led_by_the_first() -> None:
    first = DomainError("Choose a slot.", code=Code.CHOICE_REQUIRED, field="choices")
    second = DomainError("Too young.", code=Code.UNDER_MIN_AGE, field="companions.0")
    error = DomainError.from_errors([first, second])
    assert (error.code, error.field, error.problems) == (
        Code.CHOICE_REQUIRED,
        "choices",
        [first, second],
    )
    assert error.as_dict() == {
        "code": "choice_required",
        "message": "Choose a slot.",
        "field": "choices",
        "errors": [first.as_dict(), second.as_dict()],
    }
    assert "errors" not in first.as_dict() and first.problems == [first]


def _schema(client: Client) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_the_openapi_schema_lists_every_code(client: Client, db: None) -> None:
    schema = _schema(client)
    listed = schema["components"]["schemas"]["Code"]["enum"]
    assert sorted(listed) == sorted(code.value for code in Code)
    problem = schema["components"]["schemas"]["Problem"]["properties"]["code"]
    assert problem == {"$ref": "#/components/schemas/Code"}


def test_every_operation_lists_the_error_shape_for_every_status_of_the_registry(
    client: Client, db: None
) -> None:
    statuses = {str(code.status.value) for code in Code}
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in _schema(client)["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            missing = statuses - set(responses)
            assert missing == set(), (method, path)
            for status in statuses:
                assert responses[status]["content"]["application/json"]["schema"] == error


@pytest.mark.parametrize(
    ("who", "url", "code"),
    [
        ("staff", f"{API}/me/entries", Code.NOT_A_VISITOR),
        ("visitor", f"{API}/me/tokens/999999/revoke", Code.TOKEN_NOT_FOUND),
    ],
)
def test_an_api_refusal_answers_the_registrys_status(
    client: Client, db: None, who: str, url: str, code: Code
) -> None:
    user = (
        support.make_staff("registry-admin", "platform_admin", None)
        if who == "staff"
        else support.make_visitor("+8613900000088", sequence=88).user
    )
    headers = {"Authorization": support.api_token_headers(user)["HTTP_AUTHORIZATION"]}
    if url.endswith("/revoke"):
        response = client.post(url, headers=headers)
    else:
        response = client.get(url, headers=headers)
    assert (response.status_code, response.json()["code"]) == (code.status, code.value)


def test_the_api_middleware_answers_with_the_registrys_status_too(client: Client, db: None) -> None:
    user = support.make_visitor("+8613900000087", sequence=87).user
    headers = {
        "Authorization": support.api_token_headers(user)["HTTP_AUTHORIZATION"],
        "Idempotency-Key": "k" * 201,
    }
    response = client.post(f"{API}/me/tokens/1/revoke", headers=headers)
    assert (response.status_code, response.json()["code"]) == (Code.INVALID.status, "invalid")
