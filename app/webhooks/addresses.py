"""Where a webhook may send: only to globally routable addresses, unless the operator allows
private ones (RECTRACK_WEBHOOK_ALLOW_PRIVATE). Checked when a webhook is saved and again at each
delivery, which connects to the very address it checked: a DNS answer that changes between
the check and the connection cannot point a delivery at an internal service."""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The URL is malformed, does not resolve, or names an address it may not reach."""


@dataclass(frozen=True)
class Target:
    """A URL and the address a delivery connects to."""

    url: SplitResult
    host: str
    port: int
    address: IPAddress

    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = f"{host}:{self.port}"
        path = self.url.path or "/"
        return f"{self.url.scheme}://{netloc}{path}" + (
            f"?{self.url.query}" if self.url.query else ""
        )

    def host_header(self) -> str:
        default = 443 if self.url.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise AddressRefused(f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise AddressRefused("must not hold a user name or password")
    if parts.fragment:
        raise AddressRefused("must not hold a fragment (#…)")
    return parts


# IPv6 prefixes whose last 32 bits are an IPv4 address a packet may end up at: NAT64, SIIT and
# the deprecated IPv4-compatible form (`is_global` takes them at face value).
_CARRY_IPV4 = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96"))
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _CARRY_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _allowed(address: IPAddress, allow_private: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _allowed(embedded, allow_private)
    if address.is_multicast or address.is_unspecified:
        return False
    if allow_private:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST:
        return False  # site-local fec0::/10 and other reserved space `is_global` lets through
    return address.is_global


async def resolve(url: str, allow_private: bool) -> Target:
    """The URL's target: its host resolved now, every address it resolves to allowed."""
    parts = parse(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(f"{host} does not resolve") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
        if not addresses:
            raise AddressRefused(f"{host} does not resolve")
    refused = [a for a in addresses if not _allowed(a, allow_private)]
    if refused:
        raise AddressRefused(
            f"{host} resolves to {refused[0]}, which is not a public address (loopback, "
            "private, link-local…); set RECTRACK_WEBHOOK_ALLOW_PRIVATE=true to allow it"
        )
    return Target(url=parts, host=host, port=port, address=addresses[0])
