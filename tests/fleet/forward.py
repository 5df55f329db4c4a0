"""A TCP forwarder to stand between the fleet and Redis (scripts/chaos.sh), so
that a network partition can be made without root or iptables.

usage: forward.py LISTEN_PORT TARGET_PORT   (both on 127.0.0.1)

SIGUSR1 partitions: the listening socket is closed (new connections are
refused, as with a closed port) and every open connection is reset.
SIGUSR2 heals: it listens again on the same port. Prints "ready" once
listening.
"""

import asyncio
import signal
import socket
import struct
import sys


async def main() -> None:
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    conns: set = set()
    state: dict = {"server": None}

    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_r, client_w):
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_w.close()
            return
        pair = (client_w, up_w)
        conns.add(pair)
        try:
            await asyncio.gather(pipe(client_r, up_w), pipe(up_r, client_w))
        except asyncio.CancelledError:
            pass  # SIGTERM: the loop is shutting down
        finally:
            conns.discard(pair)

    async def listen():
        state["server"] = await asyncio.start_server(
            handle, "127.0.0.1", listen_port, reuse_address=True
        )

    def reset(writer):
        # SO_LINGER 0: close with a TCP RST, as a dropped route would surface.
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()

    def partition():
        if state["server"] is not None:
            state["server"].close()
            state["server"] = None
        for pair in list(conns):
            for w in pair:
                reset(w)
        conns.clear()

    def heal():
        if state["server"] is None:
            asyncio.ensure_future(listen())

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, partition)
    loop.add_signal_handler(signal.SIGUSR2, heal)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    await listen()
    print("ready", flush=True)
    await stop


if __name__ == "__main__":
    asyncio.run(main())
