"""Value: contributions, peer review, the value equation, reputation, income and payouts.

Everything here is pure: functions over plain values and events, no I/O.
"""
