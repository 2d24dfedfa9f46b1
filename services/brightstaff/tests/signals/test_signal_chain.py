"""Signals through the real chain: each answered request is analyzed after the reply, counted
by type and quality bucket on brightstaff's /metrics; ``overrides.disable_signals`` turns it off."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from plano_testkit import FakeUpstream, Reply


def test_signals_counted_after_each_response(
    fake_upstream: FakeUpstream, chain_starter: Callable[..., contextlib.AbstractContextManager]
) -> None:
    with chain_starter(fake_upstream) as chain:
        fake_upstream.enqueue(Reply(text="Sorry about that."))
        reply = chain.openai_sdk().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "This is taking forever, get me a human"}],
        )
        assert reply.choices[0].message.content == "Sorry about that."
        metrics = chain.wait_metrics(
            'brightstaff_signals_conversations_total{quality="severe"} 1.0'
        )
        assert 'brightstaff_signals_conversations_total{quality="severe"} 1.0' in metrics
        assert (
            'brightstaff_signals_total{type="interaction.disengagement.escalation"} 1.0' in metrics
        )
        assert "brightstaff_signals_dropped_total 0.0" in metrics


def test_disable_signals_override(
    fake_upstream: FakeUpstream, chain_starter: Callable[..., contextlib.AbstractContextManager]
) -> None:
    with chain_starter(fake_upstream, extra="overrides:\n  disable_signals: true\n") as chain:
        chain.openai_sdk().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "get me a human"}]
        )
        assert "brightstaff_signals_conversations_total" not in chain.metrics_text()
