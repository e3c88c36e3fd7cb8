"""A run's logged loss terms against training step, one panel per term."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd


def plot(losses: pd.DataFrame, title: str) -> plt.Figure:
    terms = [c for c in losses.columns if c != "step"]
    columns = min(3, len(terms))
    rows = math.ceil(len(terms) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.8 * rows), squeeze=False)
    for axis, term in zip(axes.flat, terms, strict=False):
        axis.plot(losses["step"], losses[term], linewidth=1.5)
        axis.set_title(term.replace("_", " "))
        axis.set_xlabel("step")
    for axis in list(axes.flat)[len(terms) :]:
        axis.set_visible(False)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
