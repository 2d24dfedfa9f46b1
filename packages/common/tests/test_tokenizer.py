"""Offline tokenizer: pinned counts, model → encoding rule, no network, fallback."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import tiktoken_ext.openai_public as openai_public

from plano_common import tokenizer


def _refuse_network(*_args: Any, **_kwargs: Any) -> Any:
    raise OSError("network access is disabled in this test")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _refuse_network)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse_network)
    monkeypatch.setattr(socket, "create_connection", _refuse_network)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse_network)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent-plano-test-cache")
    yield


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    tokenizer.reset_cache()
    yield
    tokenizer.reset_cache()


def test_network_is_really_blocked(no_network: None) -> None:
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))


def test_pinned_counts_without_network(no_network: None, fresh_cache: None) -> None:
    text = "How many tokens does this sentence have?"
    assert tokenizer.count_tokens("gpt-3.5-turbo", text) == 8
    assert tokenizer.count_tokens("gpt-4o", text) == 8
    assert tokenizer.count_tokens("gpt-4", text) == 8
    poem = " Compose a poem that explains the concept of recursion in programming."
    # 13 is the cl100k_base count (" Com" + "pose"); o200k_base has " Compose" as one token.
    assert tokenizer.count_tokens("gpt-4", poem) == 13
    assert tokenizer.count_tokens("gpt-4o", poem) == 12
    assert tokenizer.count_tokens("claude-sonnet-4", poem) == 12


def test_encodings_differ_where_expected(no_network: None) -> None:
    text = "ĉ rođendan ǅ 12345 ∑ 日本語のテキスト"
    cl100k = tokenizer.count_tokens("gpt-4-turbo", text)
    o200k = tokenizer.count_tokens("gpt-4o-mini", text)
    assert cl100k != o200k


def test_special_tokens_are_counted_as_text(no_network: None) -> None:
    assert tokenizer.count_tokens("gpt-4o", "<|endoftext|>") > 1


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-3.5-turbo", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("claude-3-5-sonnet", "o200k_base"),
        ("", "o200k_base"),
    ],
)
def test_model_to_encoding_rule(model: str, encoding: str) -> None:
    assert tokenizer.encoding_name_for_model(model) == encoding


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_shipped_encoding_matches_tiktoken_definition(
    name: str, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    ranks = tokenizer.parse_ranks(tokenizer.read_rank_file(name))

    def shipped_ranks(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return ranks

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", shipped_ranks)
    reference = getattr(openai_public, name)()
    ours = tokenizer.get_encoding(name)
    assert ours is not None
    assert ours._pat_str == reference["pat_str"]
    assert ours._special_tokens == reference["special_tokens"]
    assert ours.n_vocab == max(*ranks.values(), *reference["special_tokens"].values()) + 1


def test_encodings_are_loaded_once(
    no_network: None, fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = tokenizer.load_encoding

    def counting(name: str) -> Any:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(tokenizer, "load_encoding", counting)
    tokenizer.preload()
    for _ in range(3):
        tokenizer.count_tokens("gpt-4o", "hello")
        tokenizer.count_tokens("gpt-4", "hello")
    assert calls == ["o200k_base", "cl100k_base"]


def test_fallback_estimate_with_one_warning(
    no_network: None,
    fresh_cache: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(name: str) -> Any:
        raise tokenizer.EncodingUnavailableError(f"{name} is corrupt")

    monkeypatch.setattr(tokenizer, "load_encoding", broken)
    with caplog.at_level(logging.WARNING, logger="plano_common.tokenizer"):
        assert tokenizer.count_tokens("gpt-4o", "x" * 40) == 10
        assert tokenizer.count_tokens("gpt-4o", "x" * 41) == 11
        assert tokenizer.count_tokens("gpt-4o", "") == 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "o200k_base" in warnings[0].getMessage()


def test_corrupt_rank_file_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        tokenizer._SPECS,
        "o200k_base",
        tokenizer._SPECS["o200k_base"].__class__(
            name="o200k_base",
            rank_file="o200k_base.tiktoken.gz",
            sha256="0" * 64,
            pat_str="",
            special_tokens={},
        ),
    )
    with pytest.raises(tokenizer.EncodingUnavailableError, match="sha256"):
        tokenizer.read_rank_file("o200k_base")


def test_unknown_encoding_is_unavailable() -> None:
    with pytest.raises(tokenizer.EncodingUnavailableError):
        tokenizer.load_encoding("p50k_base")


def test_parse_ranks_rejects_malformed_data() -> None:
    assert tokenizer.parse_ranks(b"IQ== 0\nIg== 1\n") == {b"!": 0, b'"': 1}
    with pytest.raises(ValueError):
        tokenizer.parse_ranks(b"IQ== 0\nIg==\n")
