"""Detection baselines beside Vigil's: scikit-learn's IsolationForest and PyOD's ECOD on the
same ODDS split Vigil's `vigil eval --dataset odds` uses (bench/odds-baselines.ts writes the
split). Models fit the training rows only (labels unread); the threshold is the F1-best on
the validation rows; AUROC, AUPRC and F1 are reported on the test rows. Test
infrastructure only: Vigil itself is TypeScript.

    python3 bench/odds_baselines.py --data shuttle.csv --labels shuttle_labels.csv --split split.json
"""
import argparse
import json

import numpy as np
from pyod.models.ecod import ECOD
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score


def best_threshold(scores, labels):
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    # precision_recall_curve's last point has no threshold
    return thresholds[int(np.argmax(f1[:-1]))]


def report(scores_va, labels_va, scores_te, labels_te):
    t = best_threshold(scores_va, labels_va)
    pred = scores_te >= t
    tp = int(np.sum(pred & (labels_te == 1)))
    fp = int(np.sum(pred & (labels_te == 0)))
    fn = int(np.sum(~pred & (labels_te == 1)))
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    return {
        "auroc": round(float(roc_auc_score(labels_te, scores_te)), 4),
        "auprc": round(float(average_precision_score(labels_te, scores_te)), 4),
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / max(p + r, 1e-12), 4),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    x = np.loadtxt(a.data, delimiter=",", ndmin=2)
    y = np.loadtxt(a.labels, delimiter=",").astype(int)
    split = json.load(open(a.split))
    tr, va, te = (np.array(split[k], dtype=int) for k in ("train", "validation", "test"))
    out = {}
    forest = IsolationForest(n_estimators=200, max_samples=256, random_state=a.seed).fit(x[tr])
    # score_samples is higher for normal rows: negate so that higher means more anomalous
    out["sklearn IsolationForest"] = report(-forest.score_samples(x[va]), y[va], -forest.score_samples(x[te]), y[te])
    ecod = ECOD().fit(x[tr])
    out["PyOD ECOD"] = report(ecod.decision_function(x[va]), y[va], ecod.decision_function(x[te]), y[te])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
