"""Prompt-target path building: the original's vectors plus injection safety."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plano_common.path_params import PathParamError, build_path, remaining_params

CLUSTER = "/cluster.open-cluster-management.io/v1/managedclusters"


@pytest.mark.parametrize(
    ("template", "args", "defaults", "expected"),
    [
        (
            CLUSTER + "/{cluster_name}",
            {"cluster_name": "test1", "hello": "hello world"},
            {"country": "US"},
            CLUSTER + "/test1?hello=hello%20world&country=US",
        ),
        (CLUSTER, {}, None, CLUSTER),
        (CLUSTER + "/", {}, {"country": "US"}, CLUSTER + "/?country=US"),
        (CLUSTER + "/", {"country": "UK"}, {"country": "US"}, CLUSTER + "/?country=UK"),
        ("/foo/{bar}/baz", {"bar": "qux"}, None, "/foo/qux/baz"),
        ("/foo/{bar}/baz/{qux}", {"bar": "qux", "qux": "quux"}, None, "/foo/qux/baz/quux"),
        (
            "/foo/{bar}/baz/{qux}?hello=world",
            {"bar": "qux", "qux": "quux"},
            None,
            "/foo/qux/baz/quux?hello=world",
        ),
        (
            "/foo/{bar}/baz/{qux}?hello={hello}",
            {"bar": "qux", "qux": "quux", "hello": "hello world"},
            None,
            "/foo/qux/baz/quux?hello=hello%20world",
        ),
        ("/foo/{bar}?a=1", {"bar": "x", "b": 2}, None, "/foo/x?a=1&b=2"),
    ],
)
def test_original_vectors(
    template: str, args: dict[str, Any], defaults: dict[str, Any] | None, expected: str
) -> None:
    assert build_path(template, args, defaults) == expected


def test_missing_value_names_the_parameter() -> None:
    with pytest.raises(PathParamError, match="Missing value for parameter `qux`"):
        build_path("/foo/{bar}/baz/{qux}", {"bar": "qux"})
    with pytest.raises(PathParamError, match="`bar`"):
        build_path("/foo/{bar}", {"bar": None})


def test_default_fills_a_placeholder() -> None:
    assert (
        build_path("/weather/{city}", {}, {"city": "Paris", "days": 2}) == "/weather/Paris?days=2"
    )


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("../admin", "..%2Fadmin"),
        ("a/b?x=1", "a%2Fb%3Fx%3D1"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a#frag", "a%23frag"),
        ("50%", "50%25"),
        ("Seattle, WA", "Seattle%2C%20WA"),
        ("日本", "%E6%97%A5%E6%9C%AC"),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (2.5, "2.5"),
        (["a", 1], "%5B%22a%22%2C1%5D"),
    ],
)
def test_values_cannot_change_structure(value: Any, encoded: str) -> None:
    assert build_path("/api/{id}/details", {"id": value}) == f"/api/{encoded}/details"
    assert build_path("/api", {"q": value}) == f"/api?q={encoded}"


def test_parameter_names_are_encoded_in_query() -> None:
    assert build_path("/api", {"a&b=c": "1"}) == "/api?a%26b%3Dc=1"


def test_none_arguments_are_skipped() -> None:
    assert build_path("/api", {"a": None, "b": "1"}, {"a": None}) == "/api?b=1"


def test_remaining_params_for_post_bodies() -> None:
    path, rest = remaining_params("/items/{id}", {"id": 7, "name": "x y"}, {"color": "red"})
    assert path == "/items/7"
    assert rest == {"name": "x y", "color": "red"}


def test_unbalanced_braces_rejected() -> None:
    with pytest.raises(PathParamError, match="unbalanced"):
        build_path("/foo/{bar", {"bar": "x"})


@given(st.text(), st.text(min_size=1))
def test_any_value_stays_one_segment(value: str, extra: str) -> None:
    built = build_path("/v1/{item}/end", {"item": value, "other": extra})
    parts = urlsplit(built)
    segments = parts.path.split("/")
    assert segments[0] == "" and segments[1] == "v1" and segments[3] == "end"
    assert len(segments) == 4
    assert segments[2] not in (".", "..")
    assert not parts.fragment
    assert parse_qsl(parts.query, keep_blank_values=True) == [("other", extra)]
