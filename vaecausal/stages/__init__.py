"""One module per stage of the Snakemake DAG, each named like its rule file and script.

A stage function takes explicit paths and plain parameters, calls the science in the other
subpackages, and writes its declared outputs; it never reads ``config.yaml`` or Snakemake objects.
"""
