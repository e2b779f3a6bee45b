"""The what-ifs as the node registers them: no events of their own, a service and pages."""

from p2pvalue.domain import Domain
from p2pvalue.simulation.service import Simulation

DOMAIN = Domain(
    name="simulation",
    types=frozenset(),
    service=Simulation,
    build=Simulation,
    api=("p2pvalue.web.simulation.api",),
    pages=("p2pvalue.web.simulation.pages",),
)
