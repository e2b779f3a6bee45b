"""p2pvalue: a federated platform for commons-based peer production communities."""

__version__ = "0.1.0"
