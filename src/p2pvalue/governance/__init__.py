"""Governance: decision policies, proposals and their lifecycle, decision methods, delegation."""
