"""Accuracy metrics for OCR output against ground truth."""

from __future__ import annotations

import unicodedata

import numpy as np


def normalize(text: str) -> str:
    """NFC, every run of whitespace (line breaks included) as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions all cost 1).

    Row by row with NumPy: the insertion chain within a row is a running minimum, so a
    page of a few thousand characters takes milliseconds.
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    bs = np.array([ord(c) for c in b], dtype=np.int64)
    offsets = np.arange(len(b) + 1, dtype=np.int64)
    previous = offsets.copy()
    for i, char in enumerate(a, start=1):
        current = np.empty_like(previous)
        current[0] = i
        # deletion (from above) and substitution / match (from the diagonal)
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (bs != ord(char)))
        # insertion (from the left): current[j] = min over k <= j of current[k] + (j - k)
        current = np.minimum.accumulate(current - offsets) + offsets
        previous = current
    return int(previous[-1])


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate of `hypothesis` against `reference`, after `normalize`."""
    hyp, ref = normalize(hypothesis), normalize(reference)
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(hyp, ref) / len(ref)
