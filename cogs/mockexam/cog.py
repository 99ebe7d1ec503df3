"""/exam: timed, private mock exams that feel like the real sitting (docs/mock-exam.md).

Every screen is an ephemeral message whose buttons are ``DynamicItem``s naming their sitting,
question and action; each click opens one unit of work, calls one service function and
answers with the new screen on its own, fresh interaction (never an edit through an older
token, which lasts 15 minutes). The time-out sweep ends sittings whose time is up and tells
their members by DM.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.replies import SafeDynamicItem
from bot.core.scheduler import Scheduler
from bot.mockexam import service as svc
from cogs.core.embeds import CHOICES_MAX, clip
from cogs.core.exams import exam_choices
from cogs.mockexam.render import (
    answer_embed,
    history_embed,
    question_embed,
    result_embed,
    review_embed,
)
from db.engine import unit_of_work
from db.models import LETTERS

if TYPE_CHECKING:
    from bot.app import CertQuestBot

log = logging.getLogger(__name__)

SWEEP_JOB = "mockexam.time_out"

# the actions a button can carry: answer, go to, flag, review screen, submit (ask), confirm
# submit, an ended sitting's answer, its result
ANSWER, GO, FLAG, REVIEW, SUBMIT, CONFIRM = "a", "g", "f", "r", "s", "c"
ANSWER_VIEW, RESULT = "v", "o"


def _bot(interaction: discord.Interaction) -> CertQuestBot:
    return interaction.client  # type: ignore[return-value]


Rendered = tuple[str | None, discord.Embed, discord.ui.View]


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()  # dispatched by custom id, not kept in memory per message
    return view


def _idle(label: str, row: int) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label, style=discord.ButtonStyle.secondary, disabled=True, row=row
    )


def render_question(s: svc.QuestionScreen) -> Rendered:
    eid, pos = s.sitting.id, s.item.position
    letters = [
        MockButton(
            eid,
            ANSWER,
            pos,
            letter,
            label=letter,
            style=(
                discord.ButtonStyle.primary
                if s.item.chosen == letter
                else discord.ButtonStyle.secondary
            ),
        )
        for letter in LETTERS
    ]
    previous = (
        _idle("◀ Previous", 1) if s.is_first else MockButton(eid, GO, pos - 1, label="◀ Previous")
    )
    following = _idle("Next ▶", 1) if s.is_last else MockButton(eid, GO, pos + 1, label="Next ▶")
    flag = MockButton(eid, FLAG, pos, label="Unflag" if s.item.flagged else "🚩 Flag")
    review = MockButton(
        eid, REVIEW, pos, label="📋 Review & submit", style=discord.ButtonStyle.success
    )
    return s.notice, question_embed(s), _view(*letters, previous, flag, following, review)


def render_review(r: svc.ReviewScreen) -> Rendered:
    eid = r.sitting.id
    items: list[discord.ui.Item[Any]] = []
    pending = sorted(set(r.flagged) | set(r.unanswered))[:CHOICES_MAX]
    if pending:
        items.append(JumpSelect(eid, pending, set(r.flagged)))
    items.append(MockButton(eid, GO, r.position, label=f"◀ Back to question {r.position + 1}"))
    items.append(
        MockButton(eid, SUBMIT, r.position, label="Submit exam", style=discord.ButtonStyle.danger)
    )
    return None, review_embed(r), _view(*items)


def render_confirm(r: svc.ReviewScreen) -> Rendered:
    eid = r.sitting.id
    left = len(r.unanswered)
    warn = f" **{left}** question(s) are unanswered and will count as wrong." if left else ""
    flagged = f" {len(r.flagged)} are still flagged." if r.flagged else ""
    content = f"Submit your mock exam now?{warn}{flagged} You can't change answers after this."
    return (
        content,
        review_embed(r),
        _view(
            MockButton(
                eid, CONFIRM, r.position, label="✅ Yes, submit", style=discord.ButtonStyle.danger
            ),
            MockButton(eid, REVIEW, r.position, label="Keep going"),
        ),
    )


def render_result(r: svc.ResultScreen) -> Rendered:
    eid = r.sitting.id
    items: list[discord.ui.Item[Any]] = []
    if r.misses:
        items.append(
            MockButton(
                eid,
                ANSWER_VIEW,
                r.misses[0],
                label="Review what you missed ▶",
                style=discord.ButtonStyle.primary,
            )
        )
    if not r.misses or r.misses[0] != 0:
        items.append(MockButton(eid, ANSWER_VIEW, 0, label="Every answer ▶"))
    return None, result_embed(r), _view(*items)


def render_answer(a: svc.AnswerScreen) -> Rendered:
    eid, pos, last = a.sitting.id, a.item.position, a.sitting.questions - 1
    items: list[discord.ui.Item[Any]] = [
        _idle("◀ Previous", 0)
        if pos == 0
        else MockButton(eid, ANSWER_VIEW, pos - 1, label="◀ Previous", row=0),
        _idle("Next ▶", 0)
        if pos == last
        else MockButton(eid, ANSWER_VIEW, pos + 1, label="Next ▶", row=0),
    ]
    later = [m for m in a.misses if m > pos]
    if later and later[0] != pos + 1:
        items.append(MockButton(eid, ANSWER_VIEW, later[0], label="Next miss ⏭", row=0))
    items.append(MockButton(eid, RESULT, 0, label="Result", row=0))
    return None, answer_embed(a), _view(*items)


def render(screen: object) -> Rendered:
    if isinstance(screen, svc.QuestionScreen):
        return render_question(screen)
    if isinstance(screen, svc.ResultScreen):
        return render_result(screen)
    if isinstance(screen, svc.ReviewScreen):
        return render_review(screen)
    if isinstance(screen, svc.AnswerScreen):
        return render_answer(screen)
    raise TypeError(f"no rendering for {type(screen).__name__}")


async def _answer_with(interaction: discord.Interaction, rendered: Rendered) -> None:
    """The new screen on this click's own interaction (its token is fresh)."""
    content, embed, view = rendered
    await interaction.response.edit_message(content=content, embed=embed, view=view)


class MockButton(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cq:mx:(?P<eid>\d+):(?P<act>[agfrscvo]):(?P<pos>\d+)(?::(?P<letter>[ABCD]))?",
):
    def __init__(
        self,
        exam_id: int,
        action: str,
        position: int,
        letter: str | None = None,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        custom_id = f"cq:mx:{exam_id}:{action}:{position}" + (f":{letter}" if letter else "")
        if row is None:
            row = 0 if action == ANSWER else 1
        super().__init__(
            discord.ui.Button(label=label or "…", style=style, custom_id=custom_id, row=row)
        )
        self.exam_id, self.action, self.position, self.letter = exam_id, action, position, letter

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> MockButton:
        return cls(int(match["eid"]), match["act"], int(match["pos"]), match["letter"])

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        me, now, eid, pos = interaction.user.id, bot.clock(), self.exam_id, self.position
        rendered: Rendered
        async with unit_of_work(bot.sessions) as session:
            if self.action == ANSWER and self.letter:
                rendered = render(await svc.choose(session, eid, me, pos, self.letter, now))
            elif self.action == GO:
                rendered = render(await svc.show(session, eid, me, pos, now))
            elif self.action == FLAG:
                rendered = render(await svc.flag(session, eid, me, pos, now))
            elif self.action == REVIEW:
                rendered = render(await svc.review(session, eid, me, pos, now))
            elif self.action == SUBMIT:
                screen = await svc.review(session, eid, me, pos, now)
                rendered = (
                    render_confirm(screen)
                    if isinstance(screen, svc.ReviewScreen)
                    else render(screen)
                )
            elif self.action == CONFIRM:
                rendered = render(await svc.submit(session, eid, me, now))
            elif self.action == ANSWER_VIEW:
                rendered = render(await svc.answer(session, eid, me, pos, now))
            else:
                rendered = render(await svc.result(session, eid, me, now))
        await _answer_with(interaction, rendered)


class JumpSelect(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"cq:mxj:(?P<eid>\d+)",
):
    """The review screen's list of flagged and unanswered questions: pick one to go there."""

    def __init__(
        self, exam_id: int, pending: list[int] | None = None, flagged: set[int] | None = None
    ) -> None:
        flagged = flagged or set()
        options = [
            discord.SelectOption(
                label=f"Question {p + 1}",
                value=str(p),
                description="🚩 flagged" if p in flagged else "not answered",
            )
            for p in (pending or [])
        ] or [discord.SelectOption(label="Question 1", value="0")]
        super().__init__(
            discord.ui.Select(
                custom_id=f"cq:mxj:{exam_id}",
                placeholder="Go to a flagged or unanswered question…",
                options=options,
                row=0,
            )
        )
        self.exam_id = exam_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> JumpSelect:
        return cls(int(match["eid"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        picked = self.item.values[0] if self.item.values else "0"
        position = int(picked) if picked.isdigit() else 0
        async with unit_of_work(bot.sessions) as session:
            screen = await svc.show(
                session, self.exam_id, interaction.user.id, position, bot.clock()
            )
        await _answer_with(interaction, render(screen))


class HistorySelect(
    SafeDynamicItem,
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"cq:mxh",
):
    """``/exam results``: pick a sitting to see its result."""

    def __init__(self, lines: list[svc.HistoryLine] | None = None) -> None:
        options = [
            discord.SelectOption(
                label=clip(f"{h.started_at:%Y-%m-%d} · {h.label}", 100),
                value=str(h.id),
                description=(
                    "not scored"
                    if h.scaled is None
                    else f"{h.scaled}/{h.passing_score} · {h.right}/{h.questions} right"
                ),
            )
            for h in (lines or [])
        ] or [discord.SelectOption(label="—", value="0")]
        super().__init__(
            discord.ui.Select(custom_id="cq:mxh", placeholder="Open a mock exam…", options=options)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HistorySelect:
        return cls()

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        picked = self.item.values[0] if self.item.values else "0"
        exam_id = int(picked) if picked.isdigit() else 0
        async with unit_of_work(bot.sessions) as session:
            screen = await svc.result(session, exam_id, interaction.user.id, bot.clock())
        content, embed, view = render(screen)
        await interaction.response.send_message(
            content=content, embed=embed, view=view, ephemeral=True
        )


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class MockExamCog(commands.GroupCog, name="Exam", group_name="exam"):
    """Timed mock exams: the real exam's length, weights and clock, privately."""

    def __init__(self, bot: CertQuestBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(MockButton, JumpSelect, HistorySelect)

    def schedule_jobs(self, scheduler: Scheduler) -> None:
        """The time-out sweep (``bot.app`` calls this with the shared scheduler)."""
        scheduler.add_interval(
            SWEEP_JOB,
            "end mock exams whose time is up",
            self.end_timed_out,
            seconds=self.bot.settings.mock_exam_sweep_seconds,
        )

    async def end_timed_out(self) -> int:
        """End every sitting whose time is up (each exactly once, claimed in the database),
        then tell each member by DM; a closed DM only loses the note, never the result."""
        ended = await svc.end_expired(self.bot.sessions, self.bot.clock)
        for discord_id, result in ended:
            _, embed, view = render_result(result)
            try:
                channel = await self.bot.create_dm(discord.Object(discord_id))
                await channel.send(
                    content="⏰ Time's up on your mock exam: here is how it went.",
                    embed=embed,
                    view=view,
                )
            except discord.HTTPException as error:
                log.info(
                    "could not DM a mock exam result",
                    extra={"user": discord_id, "status": getattr(error, "status", None)},
                )
        return len(ended)

    @app_commands.command(name="mock", description="A timed mock exam, privately")
    @app_commands.describe(
        exam="Which exam to rehearse",
        questions="A shorter practice sitting (10–90; default: the full exam)",
    )
    @app_commands.choices(exam=exam_choices())
    async def mock(
        self,
        interaction: discord.Interaction,
        exam: app_commands.Choice[str],
        questions: app_commands.Range[int, 10, 90] | None = None,
    ) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            screen = await svc.start(
                session,
                discord_id=interaction.user.id,
                display_name=interaction.user.display_name,
                exam_type=exam.value,
                questions=questions,
                now=self.bot.clock(),
            )
        content, embed, view = render(screen)
        if isinstance(screen, svc.QuestionScreen) and content is None:
            minutes = screen.sitting.time_limit_seconds // 60
            content = (
                f"📝 **Mock exam started**: {screen.sitting.questions} questions, {minutes} "
                "minutes. No feedback until you submit; flag questions to come back to them. "
                "Dismissing this message doesn't stop the clock: `/exam mock` brings it back."
            )
        await interaction.response.send_message(
            content=content, embed=embed, view=view, ephemeral=True
        )

    @app_commands.command(name="results", description="Your mock exams: results and answers")
    async def results(self, interaction: discord.Interaction) -> None:
        async with unit_of_work(self.bot.sessions) as session:
            lines = await svc.history(
                session, interaction.user.id, interaction.user.display_name
            )
        await interaction.response.send_message(
            embed=history_embed(lines), view=_view(HistorySelect(lines)), ephemeral=True
        )


async def setup(bot: CertQuestBot) -> None:
    await bot.add_cog(MockExamCog(bot))
