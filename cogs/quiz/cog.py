"""/quiz: group quizzes in channels and solo practice, with restart-safe A–D buttons."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import BotError, NotAllowed
from bot.core.events import QUIZ_FINISHED, QuizFinished
from bot.core.hooks import hooks
from bot.core.replies import SafeDynamicItem, is_database_outage
from bot.quiz import service as svc
from bot.quiz.rules import (
    DEFAULT_QUESTIONS,
    DEFAULT_SECONDS,
    LETTERS,
    STALE_AFTER,
)
from cogs.core.exams import exam_choices
from cogs.quiz.render import question_embed, results_embed, reveal_embed
from db.engine import unit_of_work

if TYPE_CHECKING:
    from bot.app import CertQuestBot

log = logging.getLogger(__name__)

# an interaction token answers follow-ups for 15 minutes; keep a margin
CLICK_TOKEN_LIFETIME = dt.timedelta(minutes=14)
SHUTDOWN_GRACE_SECONDS = 3.0
"""How long shutdown waits for quiz runners to reach a wait before cancelling them."""

RUNNER_OUTAGE_RETRIES = 8
"""Database outages a quiz runner rides out (backing off up to 30 s) before it gives up; the
next start resumes a quiz whose runner gave up."""
EXAM_CHOICES = exam_choices()
RETIRED_EXAM_CHOICES = exam_choices(retired=True)


def _bot(interaction: discord.Interaction) -> CertQuestBot:
    return interaction.client  # type: ignore[return-value]


def question_buttons(v: svc.QuestionView) -> discord.ui.View:
    """A–D (and, in group mode, the host's Skip) as dynamic items: the custom id is the state."""
    view = discord.ui.View(timeout=None)
    for letter in LETTERS:
        view.add_item(AnswerButton(v.session_id, v.index, letter))
    if v.mode == "group":
        view.add_item(NextButton(v.session_id, v.index, label="Skip ▶", row=1))
    view.stop()  # dispatched by custom id, not kept in memory per message
    return view


def reveal_buttons(r: svc.RevealView) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for letter in LETTERS:
        style = (
            discord.ButtonStyle.success if letter == r.correct else discord.ButtonStyle.secondary
        )
        view.add_item(discord.ui.Button(label=letter, style=style, disabled=True))
    if r.question.mode == "solo":
        label = "See results" if r.is_last else "Next ▶"
        view.add_item(NextButton(r.question.session_id, r.question.index, label=label, row=1))
    view.stop()
    return view


class AnswerButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cq:a:(?P<sid>\d+):(?P<idx>\d+):(?P<letter>[ABCD])",
):
    def __init__(self, session_id: int, index: int, letter: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=letter,
                style=discord.ButtonStyle.primary,
                custom_id=f"cq:a:{session_id}:{index}:{letter}",
            )
        )
        self.session_id, self.index, self.letter = session_id, index, letter

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerButton:
        return cls(int(match["sid"]), int(match["idx"]), match["letter"])

    async def handle(self, interaction: discord.Interaction) -> None:
        # Clicks that arrive together share one transaction (bot/quiz/batcher.py); each
        # gets its own outcome, exactly as quiz_service.answer would give it.
        from bot.quiz.batcher import Click, batcher_for

        bot = _bot(interaction)
        ack = await batcher_for(bot).answer(
            Click(
                session_id=self.session_id,
                index=self.index,
                letter=self.letter,
                discord_id=interaction.user.id,
                display_name=interaction.user.display_name,
                now=bot.clock(),
            )
        )
        if ack.reveal is not None:  # solo: feedback at once, on the same message
            await interaction.response.edit_message(
                embed=reveal_embed(ack.reveal), view=reveal_buttons(ack.reveal)
            )
        elif ack.first_time:
            await interaction.response.send_message(f"Locked in: **{ack.letter}**", ephemeral=True)
            cog = bot.get_cog("Quiz")
            if isinstance(cog, QuizCog):
                cog.remember_click(self.session_id, interaction)
        else:
            await interaction.response.send_message(
                f"You already chose **{ack.letter}**: your first answer counts.", ephemeral=True
            )


class NextButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cq:n:(?P<sid>\d+):(?P<idx>\d+)",
):
    def __init__(self, session_id: int, index: int, *, label: str = "Next ▶", row: int = 1) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"cq:n:{session_id}:{index}",
                row=row,
            )
        )
        self.session_id, self.index = session_id, index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NextButton:
        return cls(
            int(match["sid"]), int(match["idx"]), label=getattr(item, "label", None) or "Next ▶"
        )

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        cog = bot.get_cog("Quiz")
        if not isinstance(cog, QuizCog):
            raise RuntimeError("the Quiz cog is not loaded")
        if interaction.message is not None and interaction.message.flags.ephemeral:
            await cog.solo_next(interaction, self.session_id, self.index)
        else:
            await cog.host_skip(interaction, self.session_id, self.index)


class QuizRunner:
    """Drives one group quiz: waits for each deadline, reveals, moves on, finishes.

    All state is read from and written to the database, so a runner can be started for any
    running quiz after a restart.
    """

    def __init__(self, cog: QuizCog, session_id: int, channel_id: int) -> None:
        self.cog, self.session_id, self.channel_id = cog, session_id, channel_id
        self.skip = asyncio.Event()
        self.halt = asyncio.Event()
        """Set at shutdown: the runner returns at its next wait, never inside a transaction."""
        self.task: asyncio.Task[None] | None = None

    @property
    def bot(self) -> CertQuestBot:
        return self.cog.bot

    def channel(self) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(self.channel_id)

    async def run(self) -> None:
        outages = 0
        try:
            while not self.halt.is_set():
                try:
                    if not await self._step():
                        break
                    outages = 0
                except Exception as error:
                    # the database went away mid-step (a restart, a failover): nothing was
                    # committed half-way; wait and take the step again from what is stored
                    if not is_database_outage(error) or outages >= RUNNER_OUTAGE_RETRIES:
                        raise
                    outages += 1
                    log.error(
                        "quiz runner: database unreachable; retrying",
                        extra={
                            "session_id": self.session_id,
                            "attempt": outages,
                            "error": repr(error),
                        },
                    )
                    await self._pause(min(2.0**outages, 30.0))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "quiz runner failed",
                extra={"session_id": self.session_id, "channel_id": self.channel_id},
            )
        finally:
            self.cog.runners.pop(self.session_id, None)

    async def _live(self) -> svc.LiveQuiz | None:
        async with unit_of_work(self.bot.sessions) as session:
            return await svc.live_quiz(session, self.session_id)

    async def _step(self) -> bool:
        live = await self._live()
        if live is None:
            return False
        if live.phase == "asking":
            await self._wait_for_deadline(live.deadline)
            if self.halt.is_set():
                return False
            await self._reveal(live)
            await self._pause(self.bot.settings.quiz_reveal_pause_seconds)
            return True
        # revealed: move on or finish
        async with unit_of_work(self.bot.sessions) as session:
            question = await svc.next_question(
                session, self.session_id, live.index, self.bot.clock()
            )
        if question is None:
            await self.cog.finish_and_announce(self.session_id, self.channel_id)
            return False
        message = await self.channel().send(
            embed=question_embed(question), view=question_buttons(question)
        )
        async with unit_of_work(self.bot.sessions) as session:
            await svc.set_question_message(session, self.session_id, message.id)
        return True

    async def _wait_for_deadline(self, deadline: dt.datetime | None) -> None:
        if deadline is None:
            return
        remaining = (deadline - self.bot.clock()).total_seconds()
        if remaining > 0:
            waits = [asyncio.ensure_future(e.wait()) for e in (self.skip, self.halt)]
            try:
                await asyncio.wait(waits, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
        self.skip.clear()

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the bot is shutting down."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.halt.wait(), timeout=seconds)

    async def _reveal(self, live: svc.LiveQuiz) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            revealed = await svc.reveal(session, self.session_id, live.index)
        if revealed is None or live.message_id is None:
            return
        try:
            await (
                self.channel()
                .get_partial_message(live.message_id)
                .edit(embed=reveal_embed(revealed), view=reveal_buttons(revealed))
            )
        except discord.HTTPException:
            log.warning(
                "could not edit a question message",
                extra={"message_id": live.message_id, "session_id": self.session_id},
            )


def can_host_group_quiz(interaction: discord.Interaction) -> bool:
    """A group quiz posts its questions and results to the channel itself, so CertQuest must
    be in that server (a guild install). Used as a user-installed app, in a server without
    the bot, a group DM or a DM, it can only answer the interaction: solo only."""
    return interaction.guild_id is not None and interaction.is_guild_integration()


def group_quiz_unavailable(interaction: discord.Interaction) -> str:
    """Why ``mode:group``/``mode:review`` is refused here, and what works instead."""
    if interaction.guild_id is not None:
        need = "Group quizzes need CertQuest added to this server"
    else:
        need = "Group quizzes run in a server channel and need CertQuest added to that server"
    return (
        f"{need}: the bot posts each question there for everyone to answer. Here you can "
        "practise on your own with `/quiz start mode:solo`, or go through your due cards "
        "with `/review`."
    )


# Personal commands work anywhere: also as a user-installed app (a server without the bot,
# group DMs, DMs). On a group, discord.py sends these for every subcommand.
@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class QuizCog(commands.GroupCog, name="Quiz", group_name="quiz"):
    """Group quizzes in a channel, solo practice anywhere."""

    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot
        self.runners: dict[int, QuizRunner] = {}
        # each group player's latest click: its token lets us answer them privately after
        # the quiz (15 minutes), to ask once about streak reminders
        # (token, time) only: a whole Interaction object costs ~20 kB per player per quiz
        self.last_clicks: dict[int, dict[int, tuple[str, dt.datetime]]] = {}
        self._resume_task: asyncio.Task[None] | None = None
        self._closing = False
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnswerButton, NextButton)
        hooks.solo_quiz = self.start_solo_quiz
        hooks.question_set = self.start_question_set
        if not self.bot.sync_only:
            self._resume_task = asyncio.create_task(self.resume_running_quizzes())

    async def halt(self) -> None:
        """Stop every runner and wait for them (the bot calls this first when it closes,
        while Discord and the database are still there).

        A runner stops at its next wait (a deadline, the pause after a reveal), so no
        transaction or message edit is cut in the middle; one that has not stopped after
        ``SHUTDOWN_GRACE_SECONDS`` is cancelled. The quizzes stay running in the database;
        the next start resumes them.
        """
        self._closing = True  # no new runners (the resume task, a /quiz start in flight)
        for runner in self.runners.values():
            runner.halt.set()
        tasks = [r.task for r in self.runners.values() if r.task]
        if self._resume_task:
            tasks.append(self._resume_task)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AnswerButton, NextButton)
        if hooks.solo_quiz == self.start_solo_quiz:
            hooks.solo_quiz = None
        if hooks.question_set == self.start_question_set:
            hooks.question_set = None
        await self.halt()

    def remember_click(self, session_id: int, interaction: discord.Interaction) -> None:
        clicks = self.last_clicks.setdefault(session_id, {})
        clicks[interaction.user.id] = (interaction.token, interaction.created_at)

    def _reachable(self, session_id: int) -> dict[int, str]:
        """Discord id → a click token still valid for a private follow-up."""
        fresh_after = discord.utils.utcnow() - CLICK_TOKEN_LIFETIME
        clicks = self.last_clicks.get(session_id, {})
        return {uid: token for uid, (token, at) in clicks.items() if at > fresh_after}

    def announce_finished(self, results: svc.QuizResults, reachable: dict[int, str]) -> None:
        """Tell the other features the quiz is over (``bot.core.events``): the reminders
        feature asks new players, privately and once ever, whether they want reminders."""
        self.last_clicks.pop(results.session_id, None)  # the quiz is over
        self.bot.dispatch(
            QUIZ_FINISHED,
            QuizFinished(
                session_id=results.session_id,
                players=results.reachable,
                followup_tokens=reachable,
            ),
        )

    def start_runner(self, session_id: int, channel_id: int) -> None:
        if session_id in self.runners or self._closing:  # closing: the next start resumes it
            return
        runner = QuizRunner(self, session_id, channel_id)
        self.runners[session_id] = runner
        runner.task = asyncio.create_task(runner.run(), name=f"quiz-{session_id}")

    async def resume_running_quizzes(self) -> None:
        """After a restart: continue every running group quiz, or close stale ones cleanly.

        Runs from setup_hook, after login: the runners only need REST, not the gateway.
        """
        async with unit_of_work(self.bot.sessions) as session:
            live = await svc.running_group_quizzes(session)
        now = self.bot.clock()
        for quiz in live:
            if self._closing:
                return
            stale = quiz.deadline is not None and now - quiz.deadline > STALE_AFTER
            if stale:
                log.info("closing a stale quiz", extra={"session_id": quiz.session_id})
                await self.finish_and_announce(
                    quiz.session_id, quiz.channel_id, disable_message=quiz.message_id
                )
            else:
                log.info(
                    "resuming a quiz",
                    extra={
                        "session_id": quiz.session_id,
                        "phase": quiz.phase,
                        "question": quiz.index + 1,
                    },
                )
                self.start_runner(quiz.session_id, quiz.channel_id)

    async def finish_and_announce(
        self,
        session_id: int,
        channel_id: int,
        *,
        stopped_early: bool = False,
        disable_message: int | None = None,
    ) -> svc.QuizResults | None:
        reachable = self._reachable(session_id)
        async with unit_of_work(self.bot.sessions) as session:
            results = await svc.finish_quiz(
                session,
                session_id,
                self.bot.clock(),
                stopped_early=stopped_early,
                can_ask=frozenset(reachable),
            )
        channel = self.bot.get_partial_messageable(channel_id)
        if disable_message is not None:
            with contextlib.suppress(discord.HTTPException):
                await channel.get_partial_message(disable_message).edit(view=None)
        if results is not None:
            await channel.send(embed=results_embed(results))
            self.announce_finished(results, reachable)
        return results

    # ----- slash commands -------------------------------------------------------------

    @app_commands.command(name="start", description="Start a quiz: group in a channel, or solo")
    @app_commands.describe(
        exam="Which exam to study (current exams)",
        retired_exam="A retired exam instead (still playable; its history is kept)",
        objective="Only one objective (e.g. 2.3)",
        questions="How many questions (1–50, default 10)",
        seconds="Seconds per question in a group quiz (10–120, default 30)",
        mode=(
            "group: everyone in the channel plays; solo: just you, privately; "
            "review: a group quiz of what this server missed most"
        ),
    )
    @app_commands.choices(exam=EXAM_CHOICES, retired_exam=RETIRED_EXAM_CHOICES)
    async def start(
        self,
        interaction: discord.Interaction,
        exam: app_commands.Choice[str] | None = None,
        retired_exam: app_commands.Choice[str] | None = None,
        objective: str | None = None,
        questions: app_commands.Range[int, 1, 50] = DEFAULT_QUESTIONS,
        seconds: app_commands.Range[int, 10, 120] = DEFAULT_SECONDS,
        mode: Literal["group", "solo", "review"] | None = None,
    ) -> None:
        group_ok = can_host_group_quiz(interaction)
        if mode in ("group", "review") and not group_ok:
            raise NotAllowed(group_quiz_unavailable(interaction))
        chosen = mode or ("group" if group_ok else "solo")
        exam_type = svc.chosen_exam(
            exam.value if exam else None, retired_exam.value if retired_exam else None
        )
        await self.start_quiz(interaction, exam_type, objective, questions, seconds, chosen)

    async def start_quiz(
        self,
        interaction: discord.Interaction,
        exam: str,
        objective: str | None,
        questions: int,
        seconds: int,
        mode: str,
        *,
        question_ids: Sequence[int] | None = None,
        intro: str | None = None,
    ) -> None:
        if interaction.channel_id is None:
            raise RuntimeError("the interaction has no channel")
        async with unit_of_work(self.bot.sessions) as session:
            question = await svc.start_quiz(
                session,
                host_discord_id=interaction.user.id,
                host_name=interaction.user.display_name,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                exam_type=exam,
                objective=objective or None,
                count=questions,
                seconds=seconds,
                mode=mode,
                now=self.bot.clock(),
                question_ids=question_ids,
            )
        ephemeral = question.mode == "solo"
        response = await interaction.response.send_message(
            content=intro,
            embed=question_embed(question),
            view=question_buttons(question),
            ephemeral=ephemeral,
        )
        if question.mode == "group":
            message_id = response.message_id
            if message_id is None:
                message_id = (await interaction.original_response()).id
            async with unit_of_work(self.bot.sessions) as session:
                await svc.set_question_message(session, question.session_id, message_id)
            self.start_runner(question.session_id, interaction.channel_id)

    async def start_solo_quiz(
        self, interaction: discord.Interaction, exam_type: str | None, questions: int = 5
    ) -> None:
        """Entry point for other features (``bot.core.hooks``: the reminder DM's button)."""
        if exam_type is None:
            raise BotError("Which exam? Start with `/quiz start` and pick one.")
        await self.start_quiz(interaction, exam_type, None, questions, DEFAULT_SECONDS, "solo")

    async def start_question_set(
        self,
        interaction: discord.Interaction,
        exam_type: str,
        question_ids: Sequence[int],
        intro: str,
    ) -> None:
        """Entry point for other features (``bot.core.hooks``: ``/review``): a private quiz
        of exactly these questions, in this order, restart-safe like any solo quiz."""
        await self.start_quiz(
            interaction,
            exam_type,
            None,
            len(question_ids),
            DEFAULT_SECONDS,
            "solo",
            question_ids=question_ids,
            intro=intro,
        )

    @start.autocomplete("objective")
    async def objective_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        exam = getattr(interaction.namespace, "exam", None) or getattr(
            interaction.namespace, "retired_exam", None
        )
        if not exam:
            return []
        try:
            async with unit_of_work(self.bot.sessions) as session:
                choices = await svc.objective_choices(session, str(exam), current)
        except Exception:
            log.exception("objective autocomplete failed")
            return []
        return [app_commands.Choice(name=label, value=value) for label, value in choices]

    @app_commands.command(name="stop", description="Stop the quiz running in this channel")
    async def stop(self, interaction: discord.Interaction) -> None:
        if interaction.channel_id is None:
            raise RuntimeError("the interaction has no channel")
        can_manage = bool(interaction.permissions.manage_messages)
        running_here = next(
            (sid for sid, r in self.runners.items() if r.channel_id == interaction.channel_id),
            None,
        )
        reachable = self._reachable(running_here) if running_here is not None else {}
        async with unit_of_work(self.bot.sessions) as session:
            results = await svc.stop_quiz(
                session,
                channel_id=interaction.channel_id,
                requester_discord_id=interaction.user.id,
                can_manage=can_manage,
                now=self.bot.clock(),
                can_ask=frozenset(reachable),
            )
        runner = self.runners.pop(results.session_id, None)
        if runner and runner.task:
            runner.task.cancel()
        await interaction.response.send_message(embed=results_embed(results))
        if results.open_message_id is not None:
            with contextlib.suppress(discord.HTTPException):
                await (
                    self.bot.get_partial_messageable(interaction.channel_id)
                    .get_partial_message(results.open_message_id)
                    .edit(view=None)
                )
        self.announce_finished(results, reachable)

    # ----- button flows -----------------------------------------------------------------

    async def host_skip(
        self, interaction: discord.Interaction, session_id: int, index: int
    ) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            await svc.host_next(
                session,
                session_id=session_id,
                index=index,
                requester_discord_id=interaction.user.id,
                can_manage=bool(interaction.permissions.manage_messages),
            )
        if session_id not in self.runners and interaction.channel_id is not None:
            self.start_runner(session_id, interaction.channel_id)  # a click after a restart
        runner = self.runners.get(session_id)
        if runner is None:  # the bot is closing: the next start resumes the quiz
            raise BotError("CertQuest is restarting; the quiz goes on in a moment.")
        runner.skip.set()
        await interaction.response.send_message("Revealing the answer now.", ephemeral=True)

    async def solo_next(
        self, interaction: discord.Interaction, session_id: int, index: int
    ) -> None:
        now = self.bot.clock()
        async with unit_of_work(self.bot.sessions) as session:
            question = await svc.next_question(session, session_id, index, now)
            results = None
            if question is None:
                results = await svc.finish_quiz(session, session_id, now)
        if question is not None:
            await interaction.response.edit_message(
                embed=question_embed(question), view=question_buttons(question)
            )
        elif results is not None:
            await interaction.response.edit_message(embed=results_embed(results), view=None)
            self.announce_finished(results, {interaction.user.id: interaction.token})
        else:
            await interaction.response.edit_message(view=None)


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(QuizCog(bot))
