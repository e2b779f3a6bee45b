"""The signed, hash-linked event log: keys, encoding, events, authority and ordering."""
