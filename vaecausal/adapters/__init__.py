"""Bringing a VAE that was not built by this project to its interventions and metrics."""
