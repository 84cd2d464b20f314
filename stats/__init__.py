"""Statistics: what the account's mail amounts to, starting with the Overview; the layer
above every other app, so it may read them all (it also seeds the demo)."""
