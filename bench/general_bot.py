"""The real bot with every click through the general batched path (``answer_many`` in an ORM
unit of work), as before the one-statement path of ``db.quiz.group_answers``: the "before" of
benchmark finding 8. ``python -m bench.general_bot`` is what
``bench.answer_path --kinds …,general`` runs.
"""

from __future__ import annotations

import asyncio

from bench.noop_bot import run
from bot.app import CertQuestBot
from bot.quiz.batcher import AnswerBatcher


class GeneralPathBot(CertQuestBot):
    async def setup_hook(self) -> None:
        await super().setup_hook()
        self.answer_batcher = AnswerBatcher(self.sessions, one_statement=False)


if __name__ == "__main__":
    asyncio.run(run(GeneralPathBot))
