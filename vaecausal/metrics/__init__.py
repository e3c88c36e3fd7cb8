"""Causal metrics (CES, ...) and the standard disentanglement metrics (DCI, ...)."""
