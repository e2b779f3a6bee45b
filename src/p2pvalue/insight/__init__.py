"""Community health: who contributes and how that changes, how value and work are shared,
how review and decisions flow, and the collaboration network; with charts and exports."""
