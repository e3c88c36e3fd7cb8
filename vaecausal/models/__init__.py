"""The shared network with named hook points, the objectives, and the architecture registry."""
