"""Data rights: what a member may take with them from the node that hosts them."""
