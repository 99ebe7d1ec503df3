"""The gateway: HELLO → IDENTIFY/RESUME → READY/RESUMED → dispatches, over text frames.

docs/topics/gateway and docs/topics/opcodes-and-status-codes describe what is emulated:
heartbeats and ACKs, sequence numbers, sessions that survive a dropped socket and
replay what was missed on RESUME, INVALID_SESSION, RECONNECT, close codes, sharding
(``(guild_id >> 22) % num_shards``, DMs on shard 0) and privileged intents (4014).

discord.py asks for ``compress=zlib-stream`` (or ``zstd-stream``) but also reads plain
text frames, which is all the emulator sends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import Emulator

log = logging.getLogger(__name__)

Json = dict[str, Any]

# opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

# intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# close codes after which Discord does not let the session resume
SESSION_ENDING_CLOSE_CODES = {4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014}

# READY.application.flags: GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED |
# GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE
APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)


class Connection:
    """One websocket.  Frames go out through a queue so their order is the seq order."""

    def __init__(self, gateway: Gateway, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.gateway = gateway
        self.ws = ws
        self.path = request.path
        self.query = dict(request.query)
        self._transport = request.transport
        self.session: Session | None = None
        self.identified = False
        self.heartbeats = 0
        self.close_code: int | None = None
        self.closed = asyncio.Event()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="emulator-gateway-writer")

    def send(self, frame: Json) -> None:
        if not self.closed.is_set():
            self._queue.put_nowait(json.dumps(frame, separators=(",", ":")))

    def close(self, code: int, reason: str = "") -> None:
        """Queue a close frame after everything already queued."""
        if not self.closed.is_set():
            self._queue.put_nowait(("close", code, reason))

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        if self._transport is not None:
            self._transport.abort()

    async def _write_loop(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if item is None:
                    return
                if isinstance(item, tuple):
                    _, code, reason = item
                    self.close_code = code
                    await self._send_close_frame(code, reason)
                    return
                try:
                    await self.ws.send_str(item)
                except (ConnectionError, RuntimeError):
                    return
        except asyncio.CancelledError:
            raise
        except Exception:  # pragma: no cover - diagnostics only
            log.exception("gateway writer failed")

    async def _send_close_frame(self, code: int, reason: str) -> None:
        # Send the close frame but keep reading: the handler's receive loop gets the
        # client's close reply and only then does aiohttp close the transport.
        # (WebSocketResponse.close() from another task closes the transport right
        # after its frame; a client writing at that moment may then see a reset
        # instead of the close code.)
        writer = getattr(self.ws, "_writer", None)
        if writer is None:
            await self.ws.close(code=code, message=reason.encode())
            return
        try:
            await writer.close(code, reason.encode())
        except (ConnectionError, RuntimeError):
            return
        try:
            await asyncio.wait_for(self.closed.wait(), 2.0)
        except TimeoutError:
            self.abort()

    async def finish(self) -> None:
        self.closed.set()
        if not self._writer.done():
            self._queue.put_nowait(None)
            try:
                await asyncio.wait_for(self._writer, 2.0)
            except (TimeoutError, asyncio.CancelledError):
                self._writer.cancel()


@dataclass(eq=False)
class Session:
    id: str
    shard_id: int
    shard_count: int
    intents: int
    identified_at: float
    seq: int = 0
    log: list[tuple[int, Json]] = field(default_factory=list)
    conn: Connection | None = None
    valid: bool = True
    ready_at: float | None = None
    resumes: int = 0

    def dispatch(self, event: str, data: Json) -> int:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.log.append((self.seq, frame))
        if self.conn is not None:
            self.conn.send(frame)
        return self.seq


@dataclass
class IdentifyRecord:
    shard_id: int
    shard_count: int
    session_id: str
    at: float
    intents: int
    path: str
    payload: Json


@dataclass
class ResumeRecord:
    shard_id: int
    session_id: str
    seq: int | None
    replayed: int
    at: float
    path: str
    accepted: bool


@dataclass
class DispatchRecord:
    shard_id: int
    event: str
    seq: int
    data: Json


class Gateway:
    """``emu.gateway``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.sessions: dict[str, Session] = {}
        self.by_shard: dict[int, Session] = {}
        self.shard_count = 1
        self.identifies: list[IdentifyRecord] = []
        self.resumes: list[ResumeRecord] = []
        self.invalid_sessions: list[tuple[int | None, bool]] = []
        self.dispatched: list[DispatchRecord] = []
        self.undelivered: list[tuple[str, Json]] = []
        self.presence_updates: list[Json] = []
        self.connections: list[Connection] = []

    # --- websocket handler ---------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, timeout=2.0, autoping=True)
        await ws.prepare(request)
        conn = Connection(self, ws, request)
        self.connections.append(conn)
        conn.send(
            {
                "op": HELLO,
                "d": {
                    "heartbeat_interval": self.emu.heartbeat_interval_ms,
                    "_trace": ['["emulator-gateway"]'],
                },
                "s": None,
                "t": None,
            }
        )
        self.emu._notify()
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    conn.close(4002, "Error while decoding payload.")
                elif msg.type is WSMsgType.ERROR:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if conn.close_code is None and ws.close_code is not None:
                conn.close_code = ws.close_code
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            await conn.finish()
            self.emu._notify()
        return ws

    async def _on_frame(self, conn: Connection, raw: str) -> None:
        try:
            frame = json.loads(raw)
            op = frame["op"]
        except (ValueError, KeyError, TypeError):
            conn.close(4002, "Error while decoding payload.")
            return
        data = frame.get("d")
        if op == HEARTBEAT:
            conn.heartbeats += 1
            conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            self._identify(conn, data or {})
        elif op == RESUME:
            self._resume(conn, data or {})
        elif not conn.identified:
            conn.close(4003, "Not authenticated.")
        elif op == REQUEST_GUILD_MEMBERS:
            self._request_members(conn, data or {})
        elif op == PRESENCE_UPDATE:
            self.presence_updates.append(data or {})
        elif op == VOICE_STATE_UPDATE:
            pass
        else:
            conn.close(4001, "Unknown opcode.")
        self.emu._notify()

    def _identify(self, conn: Connection, data: Json) -> None:
        emu = self.emu
        if conn.identified:
            conn.close(4005, "Already authenticated.")
            return
        if data.get("token") != emu.token:
            conn.close(4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            conn.close(4013, "Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS & ~emu.privileged_intents:
            conn.close(4014, "Disallowed intent(s).")
            return
        shard = data.get("shard") or [0, 1]
        shard_id, shard_count = int(shard[0]), int(shard[1])
        if shard_count < 1 or not (0 <= shard_id < shard_count):
            conn.close(4010, "Invalid shard.")
            return
        now = asyncio.get_running_loop().time()
        session = Session(
            id=secrets.token_hex(16),
            shard_id=shard_id,
            shard_count=shard_count,
            intents=intents,
            identified_at=now,
        )
        old = self.by_shard.get(shard_id)
        if old is not None:
            old.valid = False
        self.sessions[session.id] = session
        self.by_shard[shard_id] = session
        self.shard_count = shard_count
        session.conn = conn
        conn.session = session
        conn.identified = True
        self.identifies.append(
            IdentifyRecord(shard_id, shard_count, session.id, now, intents, conn.path, data)
        )
        guilds = [
            g
            for g in emu.guilds.values()
            if (g.id >> 22) % shard_count == shard_id and emu.bot_in(g)
        ]
        self._record(session, "READY", emu.ready_payload(session, guilds))
        for guild in guilds:
            self._record(session, "GUILD_CREATE", emu.guild_create_payload(guild, intents))
        session.ready_at = now

    def _resume(self, conn: Connection, data: Json) -> None:
        emu = self.emu
        if data.get("token") != emu.token:
            conn.close(4004, "Authentication failed.")
            return
        now = asyncio.get_running_loop().time()
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        ok = (
            session is not None
            and session.valid
            and self.by_shard.get(session.shard_id) is session
            and (seq is None or int(seq) <= session.seq)
        )
        if not ok or session is None:
            self.resumes.append(
                ResumeRecord(
                    session.shard_id if session else -1,
                    str(data.get("session_id")),
                    seq,
                    0,
                    now,
                    conn.path,
                    False,
                )
            )
            self.invalid_sessions.append((session.shard_id if session else None, False))
            conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        previous = session.conn
        if previous is not None and previous is not conn:
            previous.abort()
        session.conn = conn
        session.resumes += 1
        conn.session = session
        conn.identified = True
        after = int(seq or 0)
        missed = [frame for s, frame in session.log if s > after]
        for frame in missed:
            conn.send(frame)
        self.resumes.append(
            ResumeRecord(session.shard_id, session.id, seq, len(missed), now, conn.path, True)
        )
        self._record(session, "RESUMED", {"_trace": ['["emulator-gateway"]']})

    def _request_members(self, conn: Connection, data: Json) -> None:
        session = conn.session
        if session is None:
            return
        guild = self.emu.guilds.get(int(data.get("guild_id", 0)))
        if guild is None or not self.emu.bot_in(guild):
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        not_found: list[str] = []
        if user_ids:
            wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.user.id in wanted]
            not_found = [str(u) for u in wanted - {m.user.id for m in members}]
        else:
            query = str(data.get("query", "")).lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunk: Json = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if data.get("presences"):
            chunk["presences"] = []
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self._record(session, "GUILD_MEMBERS_CHUNK", chunk)

    # --- dispatching ------------------------------------------------------------

    def _record(self, session: Session, event: str, data: Json) -> int:
        seq = session.dispatch(event, data)
        self.dispatched.append(DispatchRecord(session.shard_id, event, seq, data))
        return seq

    def shard_for(self, guild_id: int | None) -> int:
        if guild_id is None:
            return 0
        return (guild_id >> 22) % max(self.shard_count, 1)

    def session(self, shard_id: int = 0) -> Session | None:
        return self.by_shard.get(shard_id)

    def dispatch(
        self, event: str, data: Json, *, guild_id: int | None = None, intent: int | None = None
    ) -> Session | None:
        """Send a dispatch to the shard that owns ``guild_id`` (DMs: shard 0).

        Returns the session, or ``None`` when no live session exists for that shard
        (recorded in ``undelivered``).  A session whose socket is down keeps the
        event and replays it on RESUME, like Discord.  Of a guild the bot is not in
        (where the app is only user-installed) only INTERACTION_CREATE is sent.
        """
        if (
            guild_id is not None
            and event != "INTERACTION_CREATE"
            and guild_id in self.emu.guilds
            and not self.emu.bot_in(guild_id)
        ):
            return None
        shard_id = self.shard_for(guild_id)
        session = self.by_shard.get(shard_id)
        if session is None or not session.valid:
            self.undelivered.append((event, data))
            return None
        if intent is not None and not session.intents & intent:
            return session
        self._record(session, event, data)
        self.emu._notify()
        return session

    # --- fault helpers for tests ----------------------------------------------------

    def _live_conn(self, shard_id: int) -> Connection:
        session = self.by_shard.get(shard_id)
        if session is None or session.conn is None:
            raise RuntimeError(f"shard {shard_id} has no connected session")
        return session.conn

    async def close(self, shard_id: int = 0, code: int = 4000, reason: str = "") -> None:
        """Close shard ``shard_id``'s socket with ``code`` (4000: the client resumes;
        4004 and the other session-ending codes: the session is gone)."""
        conn = self._live_conn(shard_id)
        if code in SESSION_ENDING_CLOSE_CODES and conn.session is not None:
            conn.session.valid = False
        conn.close(code, reason)
        await asyncio.wait_for(conn.closed.wait(), 5.0)

    async def drop(self, shard_id: int = 0) -> None:
        """Drop shard ``shard_id``'s TCP connection without a close frame."""
        conn = self._live_conn(shard_id)
        conn.abort()
        await asyncio.wait_for(conn.closed.wait(), 5.0)

    async def invalidate(self, shard_id: int = 0, *, resumable: bool = False) -> None:
        """Send INVALID_SESSION (op 9) with ``d=resumable``."""
        conn = self._live_conn(shard_id)
        if not resumable and conn.session is not None:
            conn.session.valid = False
        self.invalid_sessions.append((shard_id, resumable))
        conn.send({"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})

    async def request_reconnect(self, shard_id: int = 0) -> None:
        """Send RECONNECT (op 7): the client closes and resumes."""
        conn = self._live_conn(shard_id)
        conn.send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def shutdown(self) -> None:
        for conn in list(self.connections):
            if not conn.closed.is_set():
                conn.close(1001, "emulator shutting down")
        for conn in list(self.connections):
            try:
                await asyncio.wait_for(conn.closed.wait(), 3.0)
            except TimeoutError:
                conn.abort()
