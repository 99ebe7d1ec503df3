"""Fault injection and the REST call recorder."""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class Call:
    """One REST request the emulator answered."""

    method: str
    route: str  # template, e.g. "/channels/{channel_id}/messages" ("?" when unknown)
    path: str  # concrete path below the API base
    query: dict[str, str]
    json: Any
    files: list[str]
    status: int
    at: float  # loop.time() when the request arrived
    wall: float = field(default_factory=time.time)
    response: Any = None
    fault: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"

    def __repr__(self) -> str:
        return f"<Call {self.method} {self.path} -> {self.status}>"


class CallLog(list[Call]):
    """``emu.calls``: a list of :class:`Call` with filters."""

    def filter(
        self,
        method: str | None = None,
        route: str | None = None,
        *,
        status: int | None = None,
        since: float | None = None,
        path: str | None = None,
    ) -> list[Call]:
        """Calls by method, route template (exact or glob), status, concrete path glob,
        and arrival time (``since`` is a ``loop.time()`` value)."""
        out = []
        for call in self:
            if method is not None and call.method != method.upper():
                continue
            if route is not None and not (
                call.route == route or fnmatch.fnmatchcase(call.route, route)
            ):
                continue
            if path is not None and not fnmatch.fnmatchcase(call.path, path):
                continue
            if status is not None and call.status != status:
                continue
            if since is not None and call.at < since:
                continue
            out.append(call)
        return out

    def routes(self) -> list[str]:
        return [c.key for c in self]

    def last(self, method: str | None = None, route: str | None = None) -> Call:
        found = self.filter(method, route)
        if not found:
            raise LookupError(f"no call {method} {route}; calls: {self.routes()}")
        return found[-1]


@dataclass
class Fault:
    """One armed fault.  ``hits`` counts the requests it answered."""

    pattern: str
    status: int
    times: int | None
    retry_after: float = 1.0
    global_: bool = False
    code: int | None = None
    message: str | None = None
    body: Any = None
    via: bool = True
    bucket: str = "emulatorbucket"
    predicate: Callable[[str, str, str, Any], bool] | None = None
    hits: int = 0

    def matches(self, method: str, route: str, path: str, body: Any) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        candidates = (f"{method} {route}", f"{method} {path}", route, path)
        pattern = self.pattern
        if pattern.startswith("re:"):
            rx = re.compile(pattern[3:])
            ok = any(rx.fullmatch(c) for c in candidates)
        else:
            ok = any(fnmatch.fnmatchcase(c, pattern) for c in candidates)
        if ok and self.predicate is not None:
            ok = self.predicate(method, route, path, body)
        return ok

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class FaultInjector:
    """``emu.faults``: make chosen REST routes fail.

    ``pattern`` is matched (glob, or a regex after ``re:``) against
    ``"METHOD /route/{template}"``, ``"METHOD /concrete/path"``, the bare template and
    the bare path, e.g. ``"POST /channels/{channel_id}/messages"``,
    ``"POST /channels/*/messages"`` or ``"/webhooks/*"``.
    """

    def __init__(self) -> None:
        self.armed: list[Fault] = []

    def add(
        self,
        pattern: str,
        status: int = 429,
        *,
        retry_after: float = 1.0,
        global_: bool = False,
        times: int | None = 1,
        code: int | None = None,
        message: str | None = None,
        body: Any = None,
        via: bool = True,
        predicate: Callable[[str, str, str, Any], bool] | None = None,
    ) -> Fault:
        """Arm a fault for the next ``times`` matching requests (``None``: forever).

        429: Discord-shaped rate limit (``Via``, ``Retry-After``, ``X-RateLimit-*``,
        body ``retry_after``/``global``); ``via=False`` drops the ``Via`` header, which
        discord.py treats as a Cloudflare ban.  Other statuses answer
        ``{"message": message, "code": code}`` (or ``body`` verbatim).
        """
        fault = Fault(
            pattern=pattern,
            status=status,
            times=times,
            retry_after=retry_after,
            global_=global_,
            code=code,
            message=message,
            body=body,
            via=via,
            predicate=predicate,
        )
        self.armed.append(fault)
        return fault

    def clear(self) -> None:
        self.armed.clear()

    def match(self, method: str, route: str, path: str, body: Any) -> Fault | None:
        for fault in self.armed:
            if fault.matches(method, route, path, body):
                return fault
        return None

    def __iter__(self) -> Iterator[Fault]:
        return iter(self.armed)
