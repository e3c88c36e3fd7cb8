"""Datasets: verified downloads, procedural generators, the on-disk store and batch loading."""
