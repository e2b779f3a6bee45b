"""Folded state saved at a position of a space's log, so that a node that starts again folds
on from there instead of from the space's first event.

A snapshot is one domain's folded state of one space (the ledger, insight's records and
counts) at the log's first `end` positions, saved with the digest of those positions' ids
and decisions (`log_changes.prefix_digest`). It is used only where the log, as loaded now,
has the same first `end` positions with the same decisions (the write path checks the
digest under its lock); the state then folds on from `end` as if it had never stopped. A
snapshot that does not match is passed over, and the state is folded from the whole log as
without one. So a snapshot saves time and never changes a result.

What is read back is trusted only after its keyed hash, under a key derived from the node's
own key, matches; and even then it is unpickled with only p2pvalue's own classes and a few
of the standard library's, so a database handed in from elsewhere cannot make the node run
anything. A member's erasure drops the space's snapshots in the same transaction (they may
hold the erased content), and so do rebuilds.

Snapshots are saved when the node closes and, as logs grow, by the node's periodic sweep
(`save_all`); only of spaces large enough for it to matter.
"""

from __future__ import annotations

import copyreg
import hashlib
import hmac
import io
import logging
import pickle
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from sqlalchemy import Engine

from p2pvalue import collection
from p2pvalue.store import snapshots as stored
from p2pvalue.store.database import writing

log = logging.getLogger(__name__)

MIN_EVENTS = 2000  # smaller logs fold in a few milliseconds: nothing to save
SAVE_EVERY = 5000  # the sweep saves again once a log grew by this many events
STANDARD = {
    ("collections", "deque"), ("collections", "Counter"), ("collections", "OrderedDict"),
    ("collections", "defaultdict"), ("p2pvalue.snapshots", "_fraction"),
}  # fmt: skip


@dataclass(frozen=True)
class Saved:
    """A snapshot read back: what was saved of the log's first `end` positions, whose ids
    and decisions hashed to `digest` (a folding saves its state and what reads of it got)."""

    end: int
    digest: str
    state: Any


class Saving(Protocol):
    """A folding whose state can be saved (see `folding.Folding`)."""

    name: str

    def unsaved(self, grown: int, others: Iterable[str] = ()) -> list[str]: ...

    def saved_at(self, space: str) -> int | None: ...

    def save(self, space: str) -> bool: ...


class Snapshots:
    """The node's snapshots, and the foldings that keep them."""

    def __init__(self, engine: Engine, seed: bytes) -> None:
        self._engine = engine
        self._key = hashlib.blake2b(seed, digest_size=32, person=b"p2pv-snapshots").digest()
        self._foldings: list[Saving] = []
        self._saving = threading.Lock()  # one `save_all` at a time

    def track(self, folding: Saving) -> None:
        self._foldings.append(folding)

    def positions(self, space: str) -> dict[str, int]:
        """The log position each folding's state of `space` was last saved at or started
        from, by the folding's name (none for a state folded from the whole log and never
        saved)."""
        found = {folding.name: folding.saved_at(space) for folding in self._foldings}
        return {name: end for name, end in found.items() if end is not None}

    def load(self, space: str, name: str) -> Saved | None:
        """The snapshot of `name` for `space`, if there is one this node saved."""
        with self._engine.connect() as conn:
            row = stored.load(conn, space, name)
        if row is None:
            return None
        if not hmac.compare_digest(row.mac, self._mac(space, name, row.end, row.digest, row.body)):
            log.warning("snapshot %s of %s not made by this node: passed over", name, space)
            return None
        try:
            with collection.paused():  # see `collection`: a state is many objects
                state = _Unpickler(io.BytesIO(row.body)).load()
        except Exception as e:  # a class renamed since, a damaged body: only a shortcut lost
            log.warning("snapshot %s of %s unreadable (%s): passed over", name, space, e)
            return None
        return Saved(row.end, row.digest, state)

    def save(self, space: str, name: str, end: int, digest: str, state: bytes) -> None:
        """Keep `state` (made by `dump`) as the snapshot of `name` for `space`."""
        mac = self._mac(space, name, end, digest, state)
        with writing(self._engine) as conn:
            stored.save(conn, space, name, stored.Row(end, digest, mac, state))

    def save_all(self, grown: int = SAVE_EVERY, others: Iterable[str] = ()) -> int:
        """Save the state of every space of at least `MIN_EVENTS` events that has no
        snapshot yet or grew by `grown` events or more since its last, and of `others`
        where a folding has not folded them yet (a node that closes after an import); how
        many were saved."""
        done, others = 0, list(others)
        with self._saving:
            for folding in self._foldings:
                for space in folding.unsaved(grown, others):
                    try:
                        done += folding.save(space)
                    except Exception:  # a snapshot is only ever a shortcut: never fail for one
                        log.exception("snapshot of %s not saved", space)
        return done

    def drop(self, spaces: Iterable[str] | None = None) -> None:
        """Drop the snapshots of `spaces`, or all of them."""
        with writing(self._engine) as conn:
            if spaces is None:
                stored.drop(conn)
            for space in spaces or ():
                stored.drop(conn, space)

    def _mac(self, space: str, name: str, end: int, digest: str, body: bytes) -> str:
        signed = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in (space, name, str(end), digest):
            signed.update(part.encode() + b"\0")
        signed.update(body)
        return signed.hexdigest()


def dump(state: Any) -> bytes:
    """`state` pickled, its exact fractions as two integers each (a fraction pickled by
    default is a string parsed again on load, most of the time of reading a ledger back)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.dispatch_table = copyreg.dispatch_table | {Fraction: _reduce_fraction}
    pickler.dump(state)
    return out.getvalue()


def _reduce_fraction(value: Fraction) -> tuple[Any, tuple[int, int]]:
    return _fraction, (value.numerator, value.denominator)


def _fraction(numerator: int, denominator: int) -> Fraction:
    """A fraction already in lowest terms, as it was pickled, made without dividing again."""
    made = object.__new__(Fraction)
    made._numerator, made._denominator = numerator, denominator  # type: ignore[attr-defined]
    return made


class _Unpickler(pickle.Unpickler):
    """Finds only p2pvalue's own classes and the few others a folded state holds."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in STANDARD:
            return super().find_class(module, name)
        if module.startswith("p2pvalue."):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a folded state")
