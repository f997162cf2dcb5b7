"""The live fan-out alone: the server's CPU per frame, without a database or webhooks.

A bare uvicorn server (run as a child process of this script) around the real `Hub` and
`LiveConnection`: `/ws` opens a staff socket, `POST /emit` offers one `message.created`
event of about 1 KB. This script opens `--sockets` sockets, posts `--events` events at a
steady pace, waits until every socket has every frame, and prints the server's user and
system (kernel) CPU per delivered frame, read from `/proc` over just that window.

Process CPU time moves far less with the machine's load than latencies do, so this is the
figure to compare two versions of the fan-out by on a shared machine (run them in turn):

    .venv/bin/python bench/live_push_fanout.py [--sockets 500] [--events 100]
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python bench/live_push_fanout.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid

import aiohttp
from _support import ROOT, free_port

CLK_TCK = os.sysconf("SC_CLK_TCK")


def serve(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    from switchboard.kit.events import Event
    from switchboard.realtime.connection import LiveConnection
    from switchboard.realtime.hub import Hub
    from switchboard.tenancy.models import Role, User

    tenant = uuid.uuid4()
    hub = Hub(lambda: None)  # type: ignore[arg-type,return-value]  # staff only: no queries
    count = [0]

    async def socket(websocket: WebSocket) -> None:
        user = User(id=uuid.uuid4(), tenant_id=tenant, role=Role.csr, name="Desk", active=True)
        await LiveConnection(websocket, hub, user, time.time() + 3600).serve()

    async def emit(request: Request) -> PlainTextResponse:
        count[0] += 1
        message = {"n": count[0], "session_id": None, "body": "x" * 900}
        hub.offer(Event("message.created", tenant, {"message": message}))
        return PlainTextResponse("ok")

    app = Starlette(routes=[WebSocketRoute("/ws", socket), Route("/emit", emit, methods=["POST"])])
    uvicorn.run(app, port=port, log_level="warning", ws_per_message_deflate=False)


def cpu(pid: int) -> tuple[float, float]:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


async def load(port: int, pid: int, sockets: int, events: int) -> None:
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        for _ in range(200):
            try:
                async with http.post(f"{base}/emit") as answer:
                    await answer.read()
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        got = [0] * sockets
        opened = []
        for _ in range(sockets):
            ws = await http.ws_connect(f"ws://127.0.0.1:{port}/ws", heartbeat=None)
            await ws.receive()  # ready
            opened.append(ws)

        async def read(index: int, ws: aiohttp.ClientWebSocketResponse) -> None:
            async for message in ws:
                if '"message.created"' in message.data:
                    got[index] += 1

        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(opened)]
        await asyncio.sleep(1)
        user_before, system_before = cpu(pid)
        for _ in range(events):
            async with http.post(f"{base}/emit") as answer:
                await answer.read()
            await asyncio.sleep(0.05)
        for _ in range(600):
            if sum(got) >= sockets * events:
                break
            await asyncio.sleep(0.1)
        user_after, system_after = cpu(pid)
        frames = sum(got)
        user = (user_after - user_before) / frames * 1e6
        system = (system_after - system_before) / frames * 1e6
        print(
            f"{sockets} sockets, {events} events: {frames} of {sockets * events} frames;"
            f" server CPU per frame {user + system:.1f} us (user {user:.1f}, kernel {system:.1f})"
        )
        for ws in opened:
            await ws.close()
        for reader in readers:
            reader.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT)
    try:
        asyncio.run(load(port, server.pid, args.sockets, args.events))
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()
