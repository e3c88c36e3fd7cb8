"""Aggregation of runs into the study's tables, and the statistics behind its findings."""
