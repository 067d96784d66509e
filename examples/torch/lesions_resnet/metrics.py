"""Evaluation metrics in numpy, so the example needs nothing beyond torch and numpy.

(This file is the same in every example under examples/torch: each example directory
is shipped alone as its experiment's code bundle, so they cannot share a module.)
"""

import numpy as np


def auroc(scores, labels):
    """Area under the ROC curve of scores for the positive class (label 1): the
    Mann-Whitney U statistic from ranks, with tied scores given their average rank.
    NaN when only one class is present, as the AUROC is then undefined."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels) == 1
    pos, neg = int(labels.sum()), int((~labels).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    _, first, counts = np.unique(scores[order], return_index=True, return_counts=True)
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)  # 1-based, ties averaged
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def classification_metrics(logits, labels, prefix):
    """Loss, accuracy and (for two classes) AUROC of logits [n, classes] against
    labels [n], named prefix_loss, prefix_accuracy, prefix_auroc."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    out = {
        prefix + "_loss": float(-log_probs[np.arange(len(labels)), labels].mean()),
        prefix + "_accuracy": float((logits.argmax(axis=1) == labels).mean()),
    }
    if logits.shape[1] == 2:
        out[prefix + "_auroc"] = auroc(log_probs[:, 1] - log_probs[:, 0], labels)
    return out
