"""How concentrated a community's work is, on arrays of each contributor's value."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


def gini(values: Floats) -> float:
    """The Gini coefficient of the positive values: 0 when all are equal, towards 1 when one
    holds everything; 0 for none."""
    return concentration(values)[0]


def absence_factor(values: Floats, share: float = 0.5) -> int:
    """The fewest contributors who together made at least `share` of the value (CHAOSS's
    absence, or bus, factor): how many would have to leave to take that much with them."""
    return concentration(values, share)[1]


def concentration(values: Floats, share: float = 0.5) -> tuple[float, int]:
    """The Gini coefficient and the absence factor of `values`, from one sort."""
    positive = np.sort(values[values > 0])
    n = len(positive)
    if n == 0:
        return 0.0, 0
    running = np.cumsum(positive)
    total = running[-1]
    # the largest values come last: count from the top down to reach `share` of the total
    kept = int(np.searchsorted(running, total * (1 - share) * (1 + 1e-12), side="left"))
    return float((n + 1 - 2 * running.sum() / total) / n), max(n - kept, 1)
