"""A bare gateway + REST client for testing the emulator itself (contract tests,
rule enforcement, benchmarks) without a bot library in between."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

from .server import Emulator

Json = dict[str, Any]


class RawResponse:
    def __init__(self, status: int, headers: Any, text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.text[:120]!r}>"


class RawClient:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.http = aiohttp.ClientSession()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames: asyncio.Queue[Json] = asyncio.Queue()
        self.received: list[Json] = []
        self.close_code: int | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.http.close()

    # --- REST -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: Any = None,
        auth: bool = True,
        params: dict[str, str] | None = None,
    ) -> RawResponse:
        headers = {"Authorization": f"Bot {self.emu.token}"} if auth else {}
        if json_body is not None:
            data = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        async with self.http.request(
            method, self.emu.api_base + path, data=data, headers=headers, params=params
        ) as resp:
            return RawResponse(resp.status, resp.headers, await resp.text())

    async def callback(
        self, interaction: Json, body: Json, *, with_response: bool = True
    ) -> RawResponse:
        params = {"with_response": "1"} if with_response else None
        return await self.request(
            "POST",
            f"/interactions/{interaction['id']}/{interaction['token']}/callback",
            json_body=body,
            auth=False,
            params=params,
        )

    # --- gateway ----------------------------------------------------------------------

    async def connect(self, *, shard: tuple[int, int] = (0, 1), intents: int = 3276543) -> Json:
        """Connect, IDENTIFY and return the READY frame."""
        self.ws = await self.http.ws_connect(
            self.emu.gateway_url + "?v=10&encoding=json&compress=zlib-stream", autoclose=False
        )
        self._reader = asyncio.create_task(self._read())
        hello = await self.next_frame(op=10)
        await self.send(
            {
                "op": 2,
                "d": {
                    "token": self.emu.token,
                    "properties": {"os": "linux", "browser": "raw", "device": "raw"},
                    "intents": intents,
                    "shard": list(shard),
                },
            }
        )
        self.hello = hello
        return await self.next_dispatch("READY")

    async def send(self, frame: Json) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps(frame))

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                frame = json.loads(msg.data)
                self.received.append(frame)
                await self.frames.put(frame)
            elif msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                break
        self.close_code = self.ws.close_code

    async def next_frame(
        self, *, op: int | None = None, event: str | None = None, timeout: float = 5.0
    ) -> Json:
        async def get() -> Json:
            while True:
                frame = await self.frames.get()
                if op is not None and frame.get("op") != op:
                    continue
                if event is not None and frame.get("t") != event:
                    continue
                return frame

        return await asyncio.wait_for(get(), timeout)

    async def next_dispatch(self, event: str, timeout: float = 5.0) -> Json:
        return await self.next_frame(op=0, event=event, timeout=timeout)
