"""Score the trained model on the held-out NLU test set (tests/nlu/, never trained on).

Prints, per language (en.yml, vi.yml, vi_unaccented.yml) and overall:
- accuracy: the predicted intent is the labelled one;
- wrong topic: a knowledge-base topic was answered but the message was about something else
  (the worst error: a confident wrong answer);
- out-of-scope escalated: an out-of-scope message went to the hotline (out_of_scope or
  request_human), or to "did you mean" (nlu_fallback), whose text also gives the hotline;
- urgent recall: a current severe symptom got report_urgent_symptom; urgent false alarms;
- reply language: the language the reply would be in, from the NLU's language entities.
Writes results/eval.json and results/confusion_matrix.png; exits 1 below the thresholds.
"""
import argparse
import asyncio
import json
import os
import sys
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", category=DeprecationWarning)

import yaml  # noqa: E402

TEST_FILES = {"en": "en.yml", "vi": "vi.yml", "vi_unaccented": "vi_unaccented.yml"}
REPLY_LANGUAGE = {"en": "en", "vi": "vi", "vi_unaccented": "vi"}
ESCALATIONS = {"out_of_scope", "request_human", "nlu_fallback"}
URGENT = "report_urgent_symptom"
# `make test` fails below these. Measured on this set (issue note): accuracy 95-98% per
# language, wrong topic 1-2%, out-of-scope escalated 90-100%, urgent recall 100%; the gates
# leave a margin for the small run-to-run variation of training (TensorFlow on CPU threads).
# The target on real patient messages is 95% accuracy per language and 2% wrong topic at most.
THRESHOLDS = {
    "accuracy_min": 0.93,
    "wrong_topic_max": 0.03,
    "oos_escalated_min": 0.90,
    "urgent_recall_min": 1.0,
    "reply_language_min": 0.97,
}


def load_examples(directory: Path) -> List[Tuple[str, str, str]]:
    """(language set, intent, text) of every test message."""
    examples = []
    for lang, name in TEST_FILES.items():
        data = yaml.safe_load((directory / name).read_text(encoding="utf-8"))
        for block in data["nlu"]:
            for line in block["examples"].splitlines():
                text = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
                if text:
                    examples.append((lang, block["intent"], text))
    return examples


def fallback_threshold() -> float:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return next(c["threshold"] for c in config["pipeline"] if c["name"] == "FallbackClassifier")


def kb_intents() -> set:
    return {p.stem for p in (ROOT / "data" / "kb").glob("*.yml")}


async def parse_all(model: str, texts: List[str]) -> List[Dict]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def reply_language(parse: Dict) -> str:
    values = {e["entity"]: e["value"] for e in parse.get("entities", [])}
    return values.get("language_preference") or values.get("language") or "vi"


def score(examples, parses, topics) -> Dict[str, Dict[str, float]]:
    groups = defaultdict(list)
    for (lang, gold, text), parse in zip(examples, parses):
        groups[lang].append((gold, parse))
        groups["all"].append((gold, parse))
    report = {}
    for group, items in groups.items():
        predicted = [(gold, p["intent"]["name"], p) for gold, p in items]
        oos = [pred for gold, pred, _ in predicted if gold == "out_of_scope"]
        urgent = [pred for gold, pred, _ in predicted if gold == URGENT]
        not_urgent = [pred for gold, pred, _ in predicted if gold != URGENT]
        lang_checked = [
            (reply_language(p), REPLY_LANGUAGE.get(group)) for gold, _, p in predicted
            if gold != "switch_language" and group != "all"
        ]
        report[group] = {
            "messages": len(items),
            "accuracy": sum(g == p for g, p, _ in predicted) / len(items),
            "wrong_topic": sum(p in topics and p != g for g, p, _ in predicted) / len(items),
            "fallback": sum(p == "nlu_fallback" for _, p, _ in predicted) / len(items),
            "oos_escalated": sum(p in ESCALATIONS for p in oos) / max(len(oos), 1),
            "oos_to_hotline_directly": sum(p in ESCALATIONS - {"nlu_fallback"} for p in oos) / max(len(oos), 1),
            "urgent_recall": sum(p == URGENT for p in urgent) / max(len(urgent), 1),
            "urgent_false_alarm": sum(p == URGENT for p in not_urgent) / max(len(not_urgent), 1),
        }
        if lang_checked:
            report[group]["reply_language"] = sum(a == b for a, b in lang_checked) / len(lang_checked)
    return report


def threshold_sweep(examples, parses, topics, thresholds) -> List[Dict[str, float]]:
    """What a FallbackClassifier threshold would give: rerun its rule on the classifier's ranking.

    The urgent safety net runs after the fallback and is kept as it decided.
    """
    rows = []
    for threshold in thresholds:
        wrong = fallback = correct = 0
        for (_, gold, _), parse in zip(examples, parses):
            ranking = [r for r in parse.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            predicted = parse["intent"]["name"]
            if predicted != URGENT and ranking:
                best = ranking[0]
                predicted = best["name"] if best["confidence"] >= threshold else "nlu_fallback"
            correct += predicted == gold
            fallback += predicted == "nlu_fallback"
            wrong += predicted in topics and predicted != gold
        n = len(examples)
        rows.append({"threshold": threshold, "accuracy": correct / n, "wrong_topic": wrong / n,
                     "fallback": fallback / n})
    return rows


def failures(examples, parses) -> List[str]:
    lines = []
    for (lang, gold, text), parse in zip(examples, parses):
        pred = parse["intent"]["name"]
        if pred != gold:
            lines.append(f"  [{lang}] {gold} -> {pred} ({parse['intent'].get('confidence', 0):.2f}): {text}")
    return lines


def confusion_png(examples, parses, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    golds = [gold for _, gold, _ in examples]
    preds = [p["intent"]["name"] for p in parses]
    labels = sorted(set(golds) | set(preds))
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for gold, pred in zip(golds, preds):
        matrix[index[gold], index[pred]] += 1
    fig, ax = plt.subplots(figsize=(14, 12))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("labelled")
    ax.set_title("Held-out NLU test set: intent confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def check(report: Dict[str, Dict[str, float]]) -> List[str]:
    problems = []
    for group in TEST_FILES:
        r = report[group]
        if r["accuracy"] < THRESHOLDS["accuracy_min"]:
            problems.append(f"{group}: accuracy {r['accuracy']:.3f} < {THRESHOLDS['accuracy_min']}")
        if r["wrong_topic"] > THRESHOLDS["wrong_topic_max"]:
            problems.append(f"{group}: wrong topic {r['wrong_topic']:.3f} > {THRESHOLDS['wrong_topic_max']}")
        if r["reply_language"] < THRESHOLDS["reply_language_min"]:
            problems.append(f"{group}: reply language {r['reply_language']:.3f} < {THRESHOLDS['reply_language_min']}")
    overall = report["all"]
    if overall["oos_escalated"] < THRESHOLDS["oos_escalated_min"]:
        problems.append(f"out-of-scope escalated {overall['oos_escalated']:.3f} < {THRESHOLDS['oos_escalated_min']}")
    if overall["urgent_recall"] < THRESHOLDS["urgent_recall_min"]:
        problems.append(f"urgent recall {overall['urgent_recall']:.3f} < {THRESHOLDS['urgent_recall_min']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "hsg.tar.gz"))
    parser.add_argument("--tests", default=str(ROOT / "tests" / "nlu"))
    parser.add_argument("--out", default=str(ROOT / "results"))
    parser.add_argument("--no-check", action="store_true", help="report only, never fail")
    args = parser.parse_args()

    examples = load_examples(Path(args.tests))
    parses = asyncio.run(parse_all(args.model, [text for _, _, text in examples]))
    report = score(examples, parses, kb_intents())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wrong = failures(examples, parses)
    (out / "eval.json").write_text(json.dumps(
        {"report": report, "thresholds": THRESHOLDS, "errors": wrong}, indent=2, ensure_ascii=False
    ), encoding="utf-8")
    confusion_png(examples, parses, out / "confusion_matrix.png")

    columns = ["messages", "accuracy", "wrong_topic", "fallback", "oos_escalated",
               "oos_to_hotline_directly", "urgent_recall", "urgent_false_alarm", "reply_language"]
    print(f"{'set':<15}" + "".join(f"{c[:14]:>15}" for c in columns))
    for group in list(TEST_FILES) + ["all"]:
        r = report[group]
        print(f"{group:<15}" + "".join(
            f"{r[c]:>15}" if c == "messages" else f"{r.get(c, float('nan')):>15.3f}" for c in columns))
    print(f"\n{len(wrong)} messages not classified as labelled:")
    print("\n".join(wrong))
    print(f"\nWrote {out / 'eval.json'} and {out / 'confusion_matrix.png'}")
    print("\nFallbackClassifier threshold sweep (config.yml now: "
          f"{fallback_threshold()}): accuracy / wrong topic / \"did you mean\"")
    print(f"  {'threshold':>9}" + "".join(f"{group:>24}" for group in list(TEST_FILES) + ["all"]))
    thresholds = [0.3, 0.4, 0.5, 0.6, 0.7]
    columns = []
    for group in list(TEST_FILES) + ["all"]:
        chosen = [(e, p) for e, p in zip(examples, parses) if group in ("all", e[0])]
        columns.append(threshold_sweep([e for e, _ in chosen], [p for _, p in chosen],
                                       kb_intents(), thresholds))
    for i, threshold in enumerate(thresholds):
        print(f"  {threshold:>9.2f}" + "".join(
            f"{c[i]['accuracy']:>10.3f}{c[i]['wrong_topic']:>7.3f}{c[i]['fallback']:>7.3f}"
            for c in columns))
    problems = check(report)
    if problems and not args.no_check:
        print("\nBELOW THRESHOLD:\n  " + "\n  ".join(problems))
        return 1
    print("\nAll thresholds met." if not problems else "\n(thresholds not checked)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
