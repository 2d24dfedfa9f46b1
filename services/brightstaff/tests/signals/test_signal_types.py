"""One table per signal type: conversations that must raise it (and exactly which signals
they raise) and conversations that must not."""

from __future__ import annotations

import pytest

from brightstaff.signals import analyze
from brightstaff.signals.execution import Row

HUMAN, GPT, CALL, OBS = "human", "gpt", "function_call", "observation"


def fc(name: str, args: str = "{}") -> Row:
    return CALL, f'{{"name":"{name}","arguments":{args}}}'


def chat(*turns: str) -> list[Row]:
    """Alternating user / assistant turns, starting with the user."""
    return [(HUMAN if i % 2 == 0 else GPT, text) for i, text in enumerate(turns)]


def obs(text: str, tool: str = "tool") -> list[Row]:
    return [fc(tool), (OBS, text)]


MIS = "interaction.misalignment."
STA = "interaction.stagnation."
DIS = "interaction.disengagement."
SAT = "interaction.satisfaction."
FAIL = "execution.failure."
LOOP = "execution.loops."
EXH = "environment.exhaustion."

# (signal type, conversation, every signal type the conversation raises with its count)
TABLE: list[tuple[str, list[Row], dict[str, int]]] = [
    (
        "correction",
        chat("Show me my orders", "Here are your invoices", "No, I meant my recent orders"),
        {MIS + "correction": 1},
    ),
    ("correction", chat("That's not what I asked for"), {MIS + "correction": 1}),
    ("correction", chat("i already told you the date"), {MIS + "correction": 1}),
    ("correction", chat("Show me my orders please", "ok", "what is the meaning of life"), {}),
    ("rephrase", chat("Let me rephrase: I want X grouped by date"), {MIS + "rephrase": 1}),
    ("rephrase", chat("In other words, cheaper flights"), {MIS + "rephrase": 1}),
    (
        "rephrase",
        chat(
            "book a flight from boston to denver next friday morning",
            "Which airline?",
            "book flight boston denver friday morning",
        ),
        {MIS + "rephrase": 1},
    ),
    ("rephrase", chat("book a flight", "ok", "also a hotel in denver downtown cheap"), {}),
    (
        "clarification",
        chat("Run the report", "Foobar quux baz.", "I don't understand what you mean"),
        {MIS + "clarification": 1},
    ),
    ("clarification", chat("what does that mean?"), {MIS + "clarification": 1}),
    ("clarification", chat("you lost me there"), {MIS + "clarification": 1}),
    ("clarification", chat("sounds good, proceed with the plan"), {}),
    # Fuzzy trigram matching: "i understand" is close to "i don't understand".
    ("clarification", chat("I understand, thanks"), {MIS + "clarification": 1}),
    ("dragging", chat(*(["next step please", "done"] * 15)), {STA + "dragging": 1}),
    ("dragging", chat(*(["more", "ok"] * 8)), {}),
    ("dragging", chat(*(["more", "ok"] * 3)), {}),
    (
        "repetition",
        chat(
            "The export job failed again on the server",
            "Sorry",
            "The export job failed again on the server",
        ),
        {STA + "repetition": 1, MIS + "rephrase": 1},
    ),
    (
        "repetition",
        [
            (GPT, "Here are the five steps to reset it"),
            (HUMAN, "ok"),
            (GPT, "Here are the five steps to reset it"),
        ],
        {STA + "repetition": 1},
    ),
    (
        "repetition",
        chat(
            "This widget is broken and needs repair",
            "ok",
            "The invoice total seems wrong for March",
        ),
        {},
    ),
    (
        "repetition",
        chat("yes please do the export job now", "done", "yes please do the export job now"),
        {},
    ),
    ("escalation", chat("This is taking forever, get me a human"), {DIS + "escalation": 1}),
    ("escalation", chat("I want to speak to a manager"), {DIS + "escalation": 1}),
    ("escalation", chat("can I talk to customer support"), {DIS + "escalation": 1}),
    ("escalation", chat("the human body has 206 bones"), {}),
    ("quit", chat("Forget it, I give up"), {DIS + "quit": 1}),
    ("quit", chat("I'll look elsewhere"), {DIS + "quit": 1}),
    ("quit", chat("screw it"), {DIS + "quit": 1}),
    ("quit", chat("I will not forget your help"), {}),
    ("negative_stance", chat("WHY IS THE EXPORT BROKEN AGAIN"), {DIS + "negative_stance": 1}),
    ("negative_stance", chat("are you serious???"), {DIS + "negative_stance": 1}),
    ("negative_stance", chat("what a waste of time"), {DIS + "negative_stance": 1}),
    ("negative_stance", chat("what the hell is wrong with you"), {DIS + "negative_stance": 1}),
    ("negative_stance", chat("Yes!! That's perfect!!!"), {SAT + "gratitude": 1}),
    ("negative_stance", chat("please summarize the document"), {}),
    # Fuzzy token matching is coarse: three-word messages sharing two words with a pattern match.
    (
        "negative_stance",
        chat("This is useless"),
        {DIS + "negative_stance": 1, DIS + "quit": 1, SAT + "confirmation": 1},
    ),
    ("gratitude", chat("That's perfect, appreciate it!"), {SAT + "gratitude": 1}),
    ("gratitude", chat("you rock"), {SAT + "gratitude": 1}),
    ("gratitude", chat("thanks, this helps"), {SAT + "gratitude": 1}),
    ("gratitude", chat("help me please"), {}),
    ("confirmation", chat("That works for me"), {SAT + "confirmation": 1}),
    ("confirmation", chat("love it"), {SAT + "confirmation": 1}),
    ("confirmation", chat("oh I love this"), {SAT + "confirmation": 1}),
    ("confirmation", chat("does that work on linux"), {}),
    ("success", chat("Great, it worked!"), {SAT + "success": 1}),
    ("success", chat("it's working now"), {SAT + "success": 1}),
    ("success", chat("it worked great"), {SAT + "success": 1}),
    ("success", chat("it is not done"), {}),
    (
        "invalid_args",
        obs("Error: validation failed - expected integer got string for field age"),
        {FAIL + "invalid_args": 1},
    ),
    ("invalid_args", obs("TypeError: x must be a string"), {FAIL + "invalid_args": 1}),
    ("invalid_args", obs("missing required parameter 'id'"), {FAIL + "invalid_args": 1}),
    ("invalid_args", obs("user created with id 42"), {}),
    ("bad_query", obs("query failed: unknown field 'colour'"), {FAIL + "bad_query": 1}),
    ("bad_query", obs("Unsupported query operator"), {FAIL + "bad_query": 1}),
    ("bad_query", obs("error: invalid filter syntax"), {FAIL + "bad_query": 1}),
    ("bad_query", obs("3 results found"), {}),
    ("tool_not_found", obs("Error: unknown function 'send_thought'"), {FAIL + "tool_not_found": 1}),
    ("tool_not_found", obs("no such tool: x"), {FAIL + "tool_not_found": 1}),
    ("tool_not_found", obs("action not supported by this agent"), {FAIL + "tool_not_found": 1}),
    ("tool_not_found", obs("tool executed fine"), {}),
    ("auth_misuse", obs("HTTP 401 Unauthorized"), {FAIL + "auth_misuse": 1}),
    ("auth_misuse", obs("permission denied for bucket"), {FAIL + "auth_misuse": 1}),
    ("auth_misuse", obs("token expired, please login"), {FAIL + "auth_misuse": 1}),
    ("auth_misuse", obs("authorized and done"), {}),
    ("state_error", obs("must call begin_tx first"), {FAIL + "state_error": 1}),
    ("state_error", obs("resource already exists"), {FAIL + "state_error": 1}),
    ("state_error", obs("job not started yet"), {FAIL + "state_error": 1}),
    ("state_error", obs("committed"), {}),
    ("retry", [fc("check_status", '{"id":"abc"}')] * 4, {LOOP + "retry": 1}),
    ("retry", [fc("a")] * 3, {LOOP + "retry": 1}),
    ("retry", [fc("a"), fc("a"), fc("b"), fc("a")], {}),
    (
        "parameter_drift",
        [fc("search", f'{{"q":"{q}"}}') for q in ("a", "ab", "abc", "abcd")],
        {LOOP + "parameter_drift": 1},
    ),
    (
        "parameter_drift",
        [fc("s", '{"q":1}'), fc("s", '{"q":2}'), fc("s", '{"q":2}')],
        {LOOP + "parameter_drift": 1},
    ),
    ("parameter_drift", [fc("s", '{"q":1}'), fc("t", '{"q":2}'), fc("s", '{"q":3}')], {}),
    ("oscillation", [fc(x) for x in "ABABAB"], {LOOP + "oscillation": 1}),
    ("oscillation", [fc(x) for x in "ABCABCABC"], {LOOP + "oscillation": 1}),
    ("oscillation", [fc(x) for x in "ABABA"], {}),
    (
        "rate_limit",
        [(OBS, "HTTP 429: too many requests, retry after 30s")],
        {EXH + "rate_limit": 1},
    ),
    ("rate_limit", [(OBS, "quota exceeded for today")], {EXH + "rate_limit": 1}),
    ("rate_limit", [(OBS, "you are being throttled")], {EXH + "rate_limit": 1}),
    ("rate_limit", [(OBS, "rated 5 stars")], {}),
    ("api_error", [(OBS, "503 service unavailable - try again later")], {EXH + "api_error": 1}),
    ("api_error", [(OBS, "Internal Server Error")], {EXH + "api_error": 1}),
    ("api_error", [(OBS, "an unexpected error occurred")], {EXH + "api_error": 1}),
    ("api_error", [(OBS, "served 200 ok")], {}),
    ("timeout", [(OBS, "Connection timed out after 30 seconds")], {EXH + "timeout": 1}),
    ("timeout", [(OBS, "deadline exceeded")], {EXH + "timeout": 1}),
    ("timeout", [(OBS, "the request took too long")], {EXH + "timeout": 1}),
    ("timeout", [(OBS, "in time")], {}),
    ("network", [(OBS, "ECONNREFUSED: connection refused by remote host")], {EXH + "network": 1}),
    ("network", [(OBS, "DNS lookup failed: host not found")], {EXH + "network": 1}),
    ("network", [(OBS, "ssl handshake failure")], {EXH + "network": 1}),
    ("network", [(OBS, "connected")], {}),
    (
        "malformed_response",
        [(OBS, "Invalid JSON: unexpected token at position 42")],
        {EXH + "malformed_response": 1, FAIL + "invalid_args": 1},
    ),
    ("malformed_response", [(OBS, "failed to decode body")], {EXH + "malformed_response": 1}),
    (
        "malformed_response",
        [(OBS, "deserialization error in payload")],
        {EXH + "malformed_response": 1},
    ),
    ("malformed_response", [(OBS, "decoded fine")], {}),
    (
        "context_overflow",
        [(OBS, "Maximum context length exceeded for this model")],
        {EXH + "context_overflow": 1},
    ),
    ("context_overflow", [(OBS, "prompt too long")], {EXH + "context_overflow": 1}),
    ("context_overflow", [(OBS, "input too large for model")], {EXH + "context_overflow": 1}),
    ("context_overflow", [(OBS, "short prompt ok")], {}),
]


@pytest.mark.parametrize(
    ("kind", "rows", "expected"), TABLE, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(TABLE)]
)
def test_signal_table(kind: str, rows: list[Row], expected: dict[str, int]) -> None:
    assert analyze(rows).counts_by_type() == expected


def test_every_type_has_positive_and_negative_rows() -> None:
    from brightstaff.signals import SignalType

    kinds = {t.value.rsplit(".", 1)[1] for t in SignalType}
    for kind in kinds:
        rows = [expected for k, _, expected in TABLE if k == kind]
        assert len(rows) >= 3, kind
        assert any(any(t.endswith("." + kind) for t in e) for e in rows), kind
        assert any(not any(t.endswith("." + kind) for t in e) for e in rows), kind
