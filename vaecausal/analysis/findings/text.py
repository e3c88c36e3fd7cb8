"""Number formatting shared by the findings' plain-words summaries."""

from __future__ import annotations

import math
import re

ALPHA = 0.05
_PLAIN_WORD = re.compile(r"[a-z]+(-[a-z]+)*(?![\w-])")


def number(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits; 'n/a' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}g}"


def percent(share: float) -> str:
    """A share in [0, 1] as a percentage to one decimal; 'n/a' for a missing value."""
    return "n/a" if math.isnan(share) else f"{100 * share:.1f}%"


def mean_std(mean: float, std: float) -> str:
    return number(mean) if std is None or math.isnan(std) else f"{number(mean)} ± {number(std)}"


def interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "no CI"
    return f"95% CI [{number(low)}, {number(high)}]"


def p_value(p: float) -> str:
    return "p n/a" if math.isnan(p) else f"p = {p:.2g}"


def sentence_start(text: str) -> str:
    """``text`` with its first word capitalised when that word is plain lowercase letters a-z
    ("no dataset" -> "No dataset"). Any other first word is a name or an identifier and keeps its
    spelling: "β-VAE" (not "Β-VAE"), "dSprites", "dip_vae_ii"."""
    if _PLAIN_WORD.match(text):
        return text[0].upper() + text[1:]
    return text


def verdict(word: str, reason: str) -> str:
    """The finding's one-line answer, bold so a reader scanning the file finds it."""
    return f"**Verdict: {word}.** {sentence_start(reason)}"
