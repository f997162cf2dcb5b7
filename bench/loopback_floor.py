"""The floor under live push: what one write of a ready-made 1 KB WebSocket frame to a
loopback socket costs the sending process on this machine, with no framework at all.

A bare uvloop server accepts N connections from a reader process (uvloop too, reading and
discarding), then writes one frame to every socket, `--rounds` times, 10 ms apart, and
prints its own user and system CPU per write (from `getrusage`). On loopback the sending
call also runs the receiving side's TCP work up to the reader's wake-up, so this is what
any server pays per write here, whatever it is written in.

    .venv/bin/python bench/loopback_floor.py [--sockets 100,1000,2000] [--rounds 100]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys

import uvloop

FRAME = b"\x81\x7e" + (1000).to_bytes(2, "big") + b"x" * 1000  # a 1,000-byte text frame


async def reader(port: int, sockets: int, total: int) -> None:
    """The other end: every socket reads until it has `total` bytes."""
    done = asyncio.Event()
    left = [sockets]

    class Reader(asyncio.Protocol):
        def __init__(self) -> None:
            self.got = 0

        def data_received(self, data: bytes) -> None:
            self.got += len(data)
            if self.got >= total:
                left[0] -= 1
                if not left[0]:
                    done.set()

    loop = asyncio.get_running_loop()
    for _ in range(sockets):
        await loop.create_connection(Reader, "127.0.0.1", port)
    await done.wait()


async def writer(sockets: int, rounds: int) -> tuple[float, float]:
    transports: list[asyncio.Transport] = []
    connected = asyncio.Event()

    class Accepted(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            transports.append(transport)  # type: ignore[arg-type]
            if len(transports) == sockets:
                connected.set()

    loop = asyncio.get_running_loop()
    server = await loop.create_server(Accepted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    other = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--read", f"{port},{sockets},{rounds * len(FRAME)}"
    )
    await connected.wait()
    await asyncio.sleep(0.5)
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(rounds):
        for transport in transports:
            transport.write(FRAME)
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)
    after = resource.getrusage(resource.RUSAGE_SELF)
    await other.wait()
    server.close()
    writes = sockets * rounds
    return (
        (after.ru_utime - before.ru_utime) / writes * 1e6,
        (after.ru_stime - before.ru_stime) / writes * 1e6,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", default="100,1000,2000")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--read", help=argparse.SUPPRESS)  # the reader process
    args = parser.parse_args()
    if args.read:
        port, sockets, total = (int(part) for part in args.read.split(","))
        uvloop.run(reader(port, sockets, total))
        return
    print(f"one 1 KB frame per socket, {args.rounds} rounds; sender's CPU per write")
    print(f"{'sockets':>7} {'user us':>8} {'sys us':>8}")
    for count in (int(n) for n in args.sockets.split(",")):
        user, system = uvloop.run(writer(count, args.rounds))
        print(f"{count:>7} {user:>8.2f} {system:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
