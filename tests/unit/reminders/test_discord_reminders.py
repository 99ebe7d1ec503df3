"""The Discord sender, buttons, rate limiter and circuit breaker, without any network: a real
``discord.Client`` whose HTTP calls are replaced by fakes."""

from __future__ import annotations

import datetime as dt
import logging
import re
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest

from bot.core.hooks import hooks
from bot.reminders.delivery import (
    OPT_IN_TEMPLATE,
    QUIZ_BUTTON_TEMPLATE,
    QUIZ_UNAVAILABLE,
    DiscordReminderSender,
    RateLimiter,
    ReminderOptInButton,
    ReminderQuizButton,
    ReminderReviewButton,
    forbidden_reason,
    opt_in_view,
    register_reminder_items,
    reminder_view,
)
from bot.reminders.rules import (
    REASON_DM_CLOSED,
    REASON_NO_MUTUAL_GUILD,
    REASON_UNREACHABLE,
    ReminderMessage,
    SendStatus,
    nonce,
    reminder_text,
)
from bot.reminders.service import CircuitBreaker

DAY = dt.date(2031, 5, 10)


def _message(dm_channel_id: int | None = 777, exam: str | None = "security") -> ReminderMessage:
    return ReminderMessage(
        user_id=5,
        discord_id=123456789012345678,
        dm_channel_id=dm_channel_id,
        local_date=DAY,
        streak=12,
        exam_type=exam,
        final=False,
        content=reminder_text(12, exam, final=False),
        nonce=nonce(5, DAY),
    )


def _error(cls: type[discord.HTTPException], status: int, code: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="x")
    return cls(response, {"code": code, "message": f"error {code}"})


def _message_payload(channel_id: int, content: str) -> dict[str, Any]:
    return {
        "id": "1",
        "channel_id": str(channel_id),
        "type": 0,
        "content": content,
        "author": {"id": "42", "username": "CertQuest", "discriminator": "0", "avatar": None},
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": "2031-05-10T20:00:00+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
    }


class FakeHTTP:
    """Stands in for ``client.http``: scripted errors, recorded requests."""

    def __init__(self) -> None:
        self.opened: list[int] = []
        self.posts: list[tuple[int, dict[str, Any]]] = []
        self.open_errors: list[BaseException] = []
        self.post_errors: list[BaseException] = []
        self.next_channel = 9000

    async def start_private_message(self, user_id: int) -> dict[str, Any]:
        self.opened.append(user_id)
        if self.open_errors:
            raise self.open_errors.pop(0)
        self.next_channel += 1
        return {"id": str(self.next_channel), "type": 1}

    async def send_message(self, channel_id: int, *, params: Any) -> dict[str, Any]:
        self.posts.append((int(channel_id), params.payload))
        if self.post_errors:
            raise self.post_errors.pop(0)
        return _message_payload(channel_id, params.payload.get("content", ""))


@pytest.fixture
def client() -> discord.Client:
    c = discord.Client(intents=discord.Intents.none())
    c.http = FakeHTTP()  # type: ignore[assignment]
    c._connection.http = c.http
    return c


def _http(client: discord.Client) -> FakeHTTP:
    assert isinstance(client.http, FakeHTTP)
    return client.http


async def test_one_request_with_a_stored_channel_and_nonce_enforced(
    client: discord.Client,
) -> None:
    outcome = await DiscordReminderSender(client, max_per_second=None).send(_message())
    assert outcome.status is SendStatus.SENT and outcome.dm_channel_id is None
    http = _http(client)
    assert http.opened == []
    [(channel_id, payload)] = http.posts
    assert channel_id == 777
    assert payload["nonce"] == nonce(5, DAY) and payload["enforce_nonce"] is True
    assert "12-day Security+ (SY0-701) streak ends at midnight" in payload["content"]
    button = payload["components"][0]["components"][0]
    assert button["custom_id"] == "cq:remind:quiz:security"
    # A fully dynamic view: discord.py keeps nothing per sent message.
    assert not client._connection._view_store._synced_message_views


async def test_opens_the_dm_channel_once_when_unknown(client: discord.Client) -> None:
    outcome = await DiscordReminderSender(client, max_per_second=None).send(_message(None, None))
    http = _http(client)
    assert outcome.status is SendStatus.SENT and outcome.dm_channel_id == 9001
    assert http.opened == [123456789012345678] and http.posts[0][0] == 9001
    assert http.posts[0][1]["components"][0]["components"][0]["custom_id"] == "cq:remind:quiz:any"


async def test_stale_stored_channel_is_reopened(client: discord.Client) -> None:
    http = _http(client)
    http.post_errors = [_error(discord.NotFound, 404, 10003)]
    outcome = await DiscordReminderSender(client, max_per_second=None).send(_message())
    assert outcome.status is SendStatus.SENT and outcome.dm_channel_id == 9001
    assert [c for c, _ in http.posts] == [777, 9001]


@pytest.mark.parametrize(
    ("where", "error", "status", "reason", "forbidden"),
    [
        ("post", _error(discord.Forbidden, 403, 50007), SendStatus.PERMANENT, REASON_DM_CLOSED, 1),
        (
            "post",
            _error(discord.Forbidden, 403, 50278),
            SendStatus.PERMANENT,
            REASON_NO_MUTUAL_GUILD,
            1,
        ),
        ("post", _error(discord.Forbidden, 403, 40002), SendStatus.FAILED, None, 1),
        ("open", _error(discord.NotFound, 404, 10013), SendStatus.PERMANENT, REASON_UNREACHABLE, 0),
        ("post", _error(discord.DiscordServerError, 503, 0), SendStatus.TRANSIENT, None, 0),
        ("post", _error(discord.HTTPException, 429, 0), SendStatus.TRANSIENT, None, 0),
        ("post", _error(discord.HTTPException, 400, 50035), SendStatus.FAILED, None, 0),
        ("post", aiohttp.ClientConnectionError("reset"), SendStatus.TRANSIENT, None, 0),
        ("post", TimeoutError(), SendStatus.TRANSIENT, None, 0),
    ],
)
async def test_error_mapping(
    client: discord.Client,
    where: str,
    error: BaseException,
    status: SendStatus,
    reason: str | None,
    forbidden: int,
) -> None:
    http = _http(client)
    (http.open_errors if where == "open" else http.post_errors).append(error)
    message = _message(None if where == "open" else 777)
    outcome = await DiscordReminderSender(client, max_per_second=None).send(message)
    assert outcome.status is status
    if reason is not None:
        assert outcome.reason == reason
    assert outcome.forbidden is bool(forbidden)
    assert len(http.opened) + len(http.posts) == 1  # a failure is never retried in here


def test_forbidden_reason() -> None:
    assert forbidden_reason(50007) == REASON_DM_CLOSED
    assert forbidden_reason(50278) == REASON_NO_MUTUAL_GUILD
    assert forbidden_reason(50001) is None


async def test_rate_limiter_spaces_requests_without_bursts() -> None:
    t = [0.0]
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    limiter = RateLimiter(4, clock=lambda: t[0], sleep=sleep)
    for _ in range(3):
        await limiter.acquire()
    assert slept == [0.25, 0.5]
    t[0] = 10.0
    await limiter.acquire()
    assert slept == [0.25, 0.5]
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_circuit_breaker_window_and_period() -> None:
    t = [0.0]
    breaker = CircuitBreaker(
        window=4, max_in_window=3, max_per_period=100, cooldown=5, clock=lambda: t[0]
    )
    for forbidden in (True, False, True, False, False, True):
        breaker.record(forbidden=forbidden)
    assert not breaker.is_open  # only 1 of the last 4
    for _ in range(2):
        breaker.record(forbidden=True)
    assert breaker.is_open and breaker.trips == 1
    t[0] = 5.0
    assert not breaker.is_open

    per_period = CircuitBreaker(
        window=100, max_in_window=100, max_per_period=3, period=10, clock=lambda: t[0]
    )
    for _ in range(2):
        per_period.record(forbidden=True)
    t[0] = 16.0  # the first two fall out of the period
    for _ in range(2):
        per_period.record(forbidden=True)
    assert not per_period.is_open
    per_period.record(forbidden=True)
    assert per_period.is_open


# --- buttons --------------------------------------------------------------------------------


class FakeResponse:
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.edits: list[dict[str, Any]] = []

    async def send_message(self, content: str, **kw: Any) -> None:
        self.messages.append((content, kw))

    def is_done(self) -> bool:
        return bool(self.messages or self.edits)

    async def edit_message(self, **kw: Any) -> None:
        self.edits.append(kw)


def _interaction(client: Any, user_id: int = 1) -> Any:
    return SimpleNamespace(client=client, user=SimpleNamespace(id=user_id), response=FakeResponse())


async def test_quiz_button_starts_a_five_question_quiz(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, str | None, int]] = []

    async def start_solo_quiz(interaction: Any, exam_type: str | None, *, questions: int) -> None:
        calls.append((interaction, exam_type, questions))

    match = re.fullmatch(QUIZ_BUTTON_TEMPLATE, "cq:remind:quiz:network")
    assert match is not None
    button = await ReminderQuizButton.from_custom_id(None, None, match)  # type: ignore[arg-type]
    monkeypatch.setattr(hooks, "solo_quiz", start_solo_quiz)  # as the quiz cog registers it
    interaction = _interaction(SimpleNamespace())
    await button.callback(interaction)
    assert calls == [(interaction, "network", 5)]
    await ReminderQuizButton("any").callback(interaction)
    await ReminderQuizButton("bogus").callback(interaction)
    assert [c[1] for c in calls[1:]] == [None, None]


async def test_quiz_button_without_a_quiz_cog_answers_ephemerally(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hooks, "solo_quiz", None)
    interaction = _interaction(SimpleNamespace())
    await ReminderQuizButton("security").callback(interaction)
    assert interaction.response.messages == [(QUIZ_UNAVAILABLE, {"ephemeral": True})]


async def test_a_reminder_button_that_fails_midway_answers_through_the_shared_error_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken_quiz(interaction: Any, exam_type: str | None, *, questions: int) -> None:
        raise RuntimeError("the quiz service fell over")

    monkeypatch.setattr(hooks, "solo_quiz", broken_quiz)
    interaction = _interaction(SimpleNamespace())
    interaction.id, interaction.guild_id, interaction.channel_id = 9, None, 10
    with caplog.at_level(logging.ERROR):
        await ReminderQuizButton("network").callback(interaction)
    [(text, kw)] = interaction.response.messages
    assert kw == {"ephemeral": True}
    assert text.startswith("Something went wrong (ref ") and "Try again" in text
    ref = text.split("(ref ", 1)[1].split(")", 1)[0]
    assert any(getattr(r, "ref", None) == ref and r.exc_info for r in caplog.records)


async def test_opt_in_buttons() -> None:
    view = opt_in_view(77)
    ids = [item.custom_id for item in view.children]  # type: ignore[attr-defined]
    assert ids == ["cq:remind:optin:yes:77", "cq:remind:optin:no:77"]
    match = re.fullmatch(OPT_IN_TEMPLATE, ids[1])
    assert match is not None
    no = await ReminderOptInButton.from_custom_id(None, None, match)  # type: ignore[arg-type]
    stranger = _interaction(SimpleNamespace(), user_id=5)
    await no.callback(stranger)
    assert stranger.response.messages[0][0] == "This question isn't for you."
    owner = _interaction(SimpleNamespace(), user_id=77)
    await no.callback(owner)
    assert owner.response.edits[0]["view"] is None
    yes = ReminderOptInButton("yes", 77)
    await yes.callback(owner)  # no sessions on the client: a polite ephemeral answer
    assert owner.response.messages[-1][1] == {"ephemeral": True}


async def test_views_and_registration(client: discord.Client) -> None:
    assert reminder_view("security").timeout is None
    register_reminder_items(client)
    patterns = client._connection._view_store._dynamic_items
    assert {cls for cls in patterns.values()} == {
        ReminderQuizButton,
        ReminderOptInButton,
        ReminderReviewButton,  # the DM's button when review cards are due
    }


def test_the_dm_offers_the_review_when_cards_are_due_and_a_quiz_otherwise() -> None:
    review = reminder_view("network", cards_due=2)
    [item] = review.children
    assert item.custom_id == "cq:remind:review"  # type: ignore[attr-defined]
    assert item.item.label == "Review 2 due card(s)"  # type: ignore[attr-defined]
    quiz = reminder_view("network", cards_due=0)
    [item] = quiz.children
    assert item.custom_id == "cq:remind:quiz:network"  # type: ignore[attr-defined]
