"""Federation between nodes: how one node proves to another that a request is its own."""
