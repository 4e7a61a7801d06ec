"""The outbound policy: which network destinations connectors may reach.

Models are written by designers, and a service task's URL may come from process data, so
a connector must not become a way into the machine's own network: the cloud metadata
service (``169.254.169.254``), the database, an admin port on ``localhost``. A
destination is refused when *any* address its name resolves to is private, loopback,
link-local, multicast, reserved or unspecified, unless ``FLOWDESK_OUTBOUND_ALLOW`` names
it (host names, exact, or addresses and networks in CIDR notation, comma-separated).

The check runs where it cannot be talked around: the HTTP client's network backend
resolves the name, checks every address, and connects to the address it checked (a name
that resolves differently a moment later, or a redirect, gets no second chance), for
every connection a call makes. At deploy time URLs written as literals with an address
or ``localhost`` are refused with the element's name. SMTP host and port come only from
configuration (``FLOWDESK_SMTP_HOST``, ``FLOWDESK_SMTP_PORT``), never from a model.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore

from .base import ConnectorError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(ConnectorError):
    """A destination the outbound policy does not allow (the step fails with an incident
    at once: trying again cannot help)."""

    final = True


def _is_internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified or site_local)


class OutboundPolicy:
    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            entry = entry.strip()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower().rstrip("."))

    def _allowed_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def refusal(self, host: str, addresses: Iterable[Address]) -> str | None:
        """Why ``host`` (resolved to ``addresses``) may not be reached, or None."""
        if host.lower().rstrip(".") in self.hosts:
            return None
        for address in addresses:
            if _is_internal(address) and not self._allowed_address(address):
                return (f"the outbound policy refuses {host} ({address}: a private, loopback or link-local "
                        "address); FLOWDESK_OUTBOUND_ALLOW can name it")
        return None

    def resolve(self, host: str, port: int) -> list[Address]:
        """The addresses ``host`` resolves to, each checked; OutboundRefused otherwise."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            raise ConnectorError(f"cannot resolve {host}: {err}") from err
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        reason = self.refusal(host, addresses)
        if reason:
            raise OutboundRefused(reason)
        return addresses

    def literal_problem(self, url: str) -> str | None:
        """Deploy time: a URL whose host is an address or ``localhost`` that is refused."""
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            return f"{url!r} is not a URL"
        if host.lower().rstrip(".") in self.hosts:
            return None
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            return self.refusal(host, [ipaddress.ip_address("127.0.0.1")])
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None  # a name: resolved and checked when the call is made
        return self.refusal(host, [address])

    def backend(self) -> httpcore.NetworkBackend:
        return _CheckedBackend(self)


class _CheckedBackend(httpcore.SyncBackend):
    """Connects only to addresses the policy allows, to the very address it checked."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error: Exception | None = None
        for address in self.policy.resolve(host, port):
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as err:
                error = err
        raise error or httpcore.ConnectError(f"cannot connect to {host}")
