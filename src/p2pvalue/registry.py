"""The node's registry of domains: their services, built in order from one `Wiring`, and
the hooks the node calls on every one of them alike."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, TypeVar

from p2pvalue.accounts import Account
from p2pvalue.domain import Domain, Wiring
from p2pvalue.events.authority import Authority, Rules
from p2pvalue.events.event import Event
from p2pvalue.events.types import Catalog

T = TypeVar("T")


class Registry:
    """The domains of a node and the services built for them."""

    def __init__(self, domains: Sequence[Domain[Any]]) -> None:
        """Register `domains`; each event type has at most one owner, each domain a name
        and a service class of its own."""
        self.domains = tuple(domains)
        self._owners: dict[str, Domain[Any]] = {}
        for domain in self.domains:
            for kind in sorted(domain.types):
                owner = self._owners.get(kind)
                if owner is not None:
                    raise ValueError(f"{kind} belongs to {owner.name} and {domain.name}")
                self._owners[kind] = domain
        for attribute in ("name", "service"):
            seen = [getattr(domain, attribute) for domain in self.domains]
            if len(set(seen)) != len(seen):
                raise ValueError(f"two domains have the same {attribute}")
        self._services: dict[type, Any] = {}

    def build(self, wiring: Wiring) -> None:
        """Build every domain's service, in registration order, and subscribe the ones that
        hear committed batches to the write path (in the same order)."""
        for domain in self.domains:
            self._services[domain.service] = domain.build(wiring)
        for domain in self.domains:
            if domain.committed is not None:
                wiring.writer.subscribe(_bound(domain.committed, self._services[domain.service]))

    def get(self, kind: type[T]) -> T:
        """The service of class `kind`."""
        found = self._services.get(kind)
        if found is None:
            raise LookupError(f"no domain of this node has a {kind.__name__} service")
        assert isinstance(found, kind)
        return found

    def owner(self, type: str) -> Domain[Any] | None:
        """The domain that owns events of `type`, if one does."""
        return self._owners.get(type)

    def precheck(
        self, account: Account, space: str, type: str, content: dict[str, Any], at: int
    ) -> None:
        """Refuse (raise) an action the domain owning its type says would be voided."""
        domain = self._owners.get(type)
        if domain is not None and domain.precheck is not None:
            domain.precheck(self._services[domain.service], account, space, type, content, at)

    def acted(self, account: Account, space: str, type: str) -> None:
        """Tell every domain that cares that a member's action here was accepted."""
        for domain in self.domains:
            if domain.acted is not None:
                domain.acted(self._services[domain.service], account, space, type)

    def awaiting(self, space: str, authority: Authority) -> list[str]:
        """What every domain says a timekeeper's next tick in `space` should witness."""
        found: list[str] = []
        for domain in self.domains:
            if domain.awaiting is not None:
                found += domain.awaiting(self._services[domain.service], space, authority)
        return found

    def sweep(self, stop: threading.Event | None = None) -> dict[str, int]:
        """Run every domain's background sweep once, in order (all of them even after one
        found nothing to do); how much each did. Ends early once `stop` is set."""
        done: dict[str, int] = {}
        for domain in self.domains:
            if domain.sweep is None or (stop is not None and stop.is_set()):
                continue
            done[domain.name] = domain.sweep(self._services[domain.service], stop)
        return done

    def rebuild(self) -> None:
        """Have every domain drop the state it folded from the logs."""
        for domain in self.domains:
            if domain.rebuild is not None:
                domain.rebuild(self._services[domain.service])


def _bound(hook: Any, service: Any) -> Any:
    def committed(events: Sequence[Event], origin: str | None) -> None:
        hook(service, events, origin)

    return committed


# Catalogs built, by the identity of their domains (kept alive here, so ids stay theirs).
_CATALOGS: dict[tuple[int, ...], tuple[tuple[Domain[Any], ...], Catalog]] = {}


def catalog_of(domains: Sequence[Domain[Any]]) -> Catalog:
    """The kernel's event types and those `domains` declare, with their charter sections
    and rights (built once per set of domains: it makes pydantic models)."""
    key = tuple(id(domain) for domain in domains)
    cached = _CATALOGS.get(key)
    if cached is None:
        catalog = Catalog(
            types=tuple(kind for domain in domains for kind in domain.kinds),
            sections=tuple(section for domain in domains for section in domain.sections),
            rights=frozenset().union(*(domain.rights for domain in domains)),
        )
        cached = _CATALOGS[key] = (tuple(domains), catalog)
    return cached[1]


def rules_of(domains: Sequence[Domain[Any]]) -> Rules:
    """The authority rules `domains` add to the kernel's; two may not rule one type."""
    combined = Rules()
    for domain in domains:
        if domain.rules is not None:
            combined = combined + domain.rules
    return combined
