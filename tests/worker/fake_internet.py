"""A fake internet for the SSRF tests: public host names that resolve to the fixture feed server."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore

from blogroll.worker.fetch import GuardedBackend, resolve_host

# A public address (the fake DNS hands it out) that the fake internet routes to the feed server.
PUBLIC_ADDRESS = "93.184.215.14"


class FakeInternet(GuardedBackend):
    """The production guard with a fake DNS in front and the public address wired to 127.0.0.1,
    so "a public host" can be served by the fixture server while private addresses stay refused."""

    def __init__(self, dns: dict[str, list[str]]) -> None:
        def fake_dns(host: str, port: int) -> list[str]:
            return dns[host] if host in dns else resolve_host(host, port)

        super().__init__(allow_private=False, resolve=fake_dns, network=PublicAddressOnLoopback())


class PublicAddressOnLoopback(httpcore.SyncBackend):
    """httpcore's sockets, with connections to the public address made to 127.0.0.1 instead."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = "127.0.0.1" if host == PUBLIC_ADDRESS else host
        return super().connect_tcp(address, port, timeout, local_address, socket_options)
