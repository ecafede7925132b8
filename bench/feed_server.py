"""The feed worker benchmark's fixture server: serves a folder of feeds, each answer held back by a
fixed latency, as a blog on the internet would be.

    python bench/feed_server.py FOLDER PORT LATENCY_MS

A fetch from a real blog costs at least a few round trips (TCP, TLS, the request), 100 ms or more
for a server on another continent, and that waiting is what a worker can overlap; on loopback with
no latency only CPU time is left. So every answer, 200 or 304, is sent LATENCY_MS after its request
arrives (0 for none). Files are read into memory at start; each has an ETag and a Last-Modified, and
If-None-Match / If-Modified-Since get a 304, as well-run blogs do. Keep-alive as HTTP/1.1 has it.
asyncio serves any number of waiting requests on one thread, so the server itself stays cheap.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import sys
from pathlib import Path

LAST_MODIFIED = email.utils.formatdate(1_793_491_200, usegmt=True)  # 2026-11-01


def load(folder: Path) -> dict[str, tuple[bytes, str]]:
    """URL path -> (body, ETag) for every file under folder."""
    files = {}
    for path in folder.rglob("*"):
        if path.is_file():
            body = path.read_bytes()
            files["/" + path.relative_to(folder).as_posix()] = (body, f'"{hashlib.md5(body).hexdigest()}"')  # noqa: S324
    return files


def answer(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def respond(files: dict[str, tuple[bytes, str]], path: str, headers: dict[str, str]) -> bytes:
    if path == "/healthz":
        return answer("200 OK", {"Content-Length": "2"}, b"ok")
    if path not in files:
        return answer("404 Not Found", {"Content-Length": "0"})
    body, etag = files[path]
    validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
    if headers.get("if-none-match") == etag or (
        "if-none-match" not in headers and headers.get("if-modified-since") == LAST_MODIFIED
    ):
        return answer("304 Not Modified", validators)
    return answer(
        "200 OK",
        {**validators, "Content-Type": "application/atom+xml", "Content-Length": str(len(body))},
        body,
    )


async def serve(files: dict[str, tuple[bytes, str]], port: int, latency: float) -> None:
    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request := await reader.readline():
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                if latency:
                    await asyncio.sleep(latency)
                writer.write(respond(files, request.split()[1].decode(), headers))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    folder, port, latency_ms = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    asyncio.run(serve(load(folder), port, latency_ms / 1000))


if __name__ == "__main__":
    main()
