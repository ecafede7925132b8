"""A fake internet for the SSRF tests: public host names that resolve to the fixture feed server."""

from __future__ import annotations

from blogroll.worker.fetch import GuardedBackend

# A public address (the fake DNS hands it out) that the fake internet routes to the feed server.
PUBLIC_ADDRESS = "93.184.215.14"


class FakeInternet(GuardedBackend):
    """The production guard with a fake DNS in front and the public address wired to 127.0.0.1,
    so "a public host" can be served by the fixture server while private addresses stay refused."""

    def __init__(self, dns: dict[str, list[str]]) -> None:
        super().__init__(allow_private=False)
        self.dns = dns

    def resolve(self, host: str, port: int) -> list[str]:
        return self.dns[host] if host in self.dns else super().resolve(host, port)

    def route(self, address: str) -> str:
        return "127.0.0.1" if address == PUBLIC_ADDRESS else address
