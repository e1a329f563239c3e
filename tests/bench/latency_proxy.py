# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A TCP relay on 127.0.0.1 that delays every chunk by a fixed time each way.

Put in front of the sandbox API server (TLS passes through untouched; its
certificate is valid for 127.0.0.1 on any port), it makes each request pay
a round trip like a regional EKS endpoint does, so per-request costs show.

    python latency_proxy.py --listen 127.0.0.1:PORT --target 127.0.0.1:PORT --delay-ms 15
"""

from __future__ import annotations

import argparse
import asyncio
import time


async def _pipe(reader, writer, delay):
    """Forward chunks in order, each no earlier than ``delay`` after it arrived."""
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((time.monotonic() + delay, data))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait((0, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


def serve(listen, target, delay):
    async def handle(client_reader, client_writer):
        host, port = target
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, server_writer, delay), _pipe(server_reader, client_writer, delay))

    async def main():
        server = await asyncio.start_server(handle, listen[0], listen[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _addr(text):
    host, _sep, port = text.rpartition(":")
    return host, int(port)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=_addr, required=True)
    parser.add_argument("--target", type=_addr, required=True)
    parser.add_argument("--delay-ms", type=float, default=15.0)
    args = parser.parse_args()
    serve(args.listen, args.target, args.delay_ms / 1000.0)
