"""Score the trained model on the held-out test sets (never trained on).

1. The older set, tests/nlu/ (short questions in the style of the training data; en.yml, vi.yml,
   vi_unaccented.yml), at the NLU: accuracy per language, wrong topic (a knowledge-base topic
   predicted for a message about something else: a confident wrong answer), out-of-scope
   escalated (out_of_scope, request_human, or "did you mean", whose text gives the hotline too),
   urgent recall and false alarms, and the reply language.
2. The real-style sets, tests/realstyle/ (patients' own way of writing: stories, several
   questions, worries, near-topic questions outside the knowledge base), end to end: each message
   goes to Rasa and the action server as a new conversation and the replies are read back
   (scripts/realstyle.py). `heldout/` is the measure; `dev/` is the set the thresholds are
   tuned on, with a sweep of the per-language thresholds and the question weight.
Writes results/eval.json and results/confusion_matrix.png; exits 1 below the thresholds.
"""
import argparse
import asyncio
import contextlib
import json
import os
import sys
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", category=DeprecationWarning)

import yaml  # noqa: E402

from scripts import realstyle  # noqa: E402

TEST_FILES = {"en": "en.yml", "vi": "vi.yml", "vi_unaccented": "vi_unaccented.yml"}
REPLY_LANGUAGE = {"en": "en", "vi": "vi", "vi_unaccented": "vi"}
ESCALATIONS = {"out_of_scope", "request_human", "nlu_fallback"}
URGENT = "report_urgent_symptom"
# `make test` fails below these: regression gates under what the models of issue 11 measured on
# this set. Four trainings on 5 Dec 2026 on nearly the same data (a few examples more or less)
# gave accuracy 89.7-95.0% per language, wrong topic 0-1.8%, out-of-scope escalated 90.7-96.3%,
# urgent recall 100%: the gates leave room for that spread, not more. Training is seeded, so one
# commit gives the same figures on every run here. The targets of the issues are in TARGETS,
# printed, not gated: they are not all met yet.
THRESHOLDS = {
    "accuracy_min": 0.87,
    "wrong_topic_max": 0.03,
    "oos_escalated_min": 0.87,
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


def kb_intents() -> set:
    return {p.stem for p in (ROOT / "data" / "kb").glob("*.yml")}


@contextlib.contextmanager
def action_server():
    """The action server, as `make run` starts it, on a free port; yields its webhook URL."""
    import socket
    import subprocess
    import tempfile
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tempfile.NamedTemporaryFile(prefix="eval-actions-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "scripts/actions_cli.py", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"action server did not start: {Path(log.name).read_text()[-2000:]}")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.unlink(log.name)


def load_agent(model: str, action_url: Optional[str] = None):
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    endpoint = EndpointConfig(url=action_url) if action_url else None
    # Rasa's responses with the hospital's values filled in, as endpoints.yml configures it
    return Agent.load(model, action_endpoint=endpoint,
                      generator=EndpointConfig(type="components.nlg.HospitalNLG"))


async def parse_all(agent, texts: List[str]) -> List[Dict]:
    return [await agent.parse_message(text) for text in texts]


async def converse_all(agent, texts: List[str], prefix: str) -> List[List[Dict]]:
    """The bot's replies to each text, each in a new conversation."""
    return [await agent.handle_text(text, sender_id=f"{prefix}-{i}") for i, text in enumerate(texts)]


def component_of(agent, cls):
    """The loaded model's component of class `cls`, whose settings a sweep changes in place."""
    runner = agent.processor.graph_runner
    for node in runner._instantiated_nodes.values():  # Rasa keeps no public handle on them
        if isinstance(node._component, cls):
            return node._component
    raise RuntimeError(f"the model has no {cls.__name__}")


def combiner_of(agent):
    from components.multi_question import QuestionCombiner

    return component_of(agent, QuestionCombiner)


# ---- Specific answers inside a topic (issue 12): tests/specific/{dev,heldout}.yml ----------------
SPECIFIC_SETS = ("en", "vi", "vi_unaccented")
SPECIFIC_COLUMNS = ["messages", "leads_with_answer", "topic_answer_instead", "wrong_answer", "no_answer"]
SPECIFIC_THRESHOLDS = {"leads_with_answer": (">=", 0.80), "wrong_answer": ("<=", 0.08)}
SPECIFIC_TARGETS = {"leads_with_answer": (">=", 0.90)}
SPECIFIC_SWEEP = [0.3, 0.4, 0.5, 0.6, 0.7]


def load_specific(path: Path) -> List[Dict]:
    """Specific-question cases: text, lang, topic and the specific answer (or `general`)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


def expected_text(kb, case: Dict) -> str:
    topic = kb.topics[case["topic"]]
    language = REPLY_LANGUAGE[case["lang"]]
    if case["specific"] == "general":
        return topic.answer[language]
    return topic.specific[case["specific"]].answer[language]


def specific_outcome(kb, case: Dict, first_text: Optional[str]) -> str:
    """How the reply's first message answers a specific-question case."""
    language = REPLY_LANGUAGE[case["lang"]]
    if first_text is None:
        return "no_answer"
    if first_text == expected_text(kb, case):
        return "leads_with_answer"
    if first_text == kb.topics[case["topic"]].answer[language]:
        return "topic_answer_instead"
    answers = {t.answer[language] for t in kb.topics.values()}
    answers |= {s.answer[language] for t in kb.topics.values() for s in t.specific.values()}
    return "wrong_answer" if first_text in answers else "no_answer"


def score_specific(cases: List[Dict], outcomes: List[str]) -> Dict[str, Dict[str, float]]:
    report = {}
    for group in list(SPECIFIC_SETS) + ["all"]:
        chosen = [o for c, o in zip(cases, outcomes) if group == "all" or c["lang"] == group]
        row = {"messages": len(chosen)}
        for key in SPECIFIC_COLUMNS[1:]:
            row[key] = sum(o == key for o in chosen) / len(chosen) if chosen else None
        report[group] = row
    return report


def planned_first_text(kb, parse: Dict, language: str) -> Optional[str]:
    """The first text the answer action would send for a parse (one question), from its plan."""
    from actions.replies import plan_parts

    intent = (parse.get("intent") or {}).get("name")
    if intent not in kb:
        return None
    parts = plan_parts(kb, parse)
    if len(parts) != 1 or parts[0].kind != "answer":
        return None  # nothing answered, or a composed reply: not one answer
    topic = kb.topics[parts[0].intent]
    return topic.specific[parts[0].specific].answer[language] if parts[0].specific else topic.answer[language]


async def sweep_specific(agent, kb, cases: List[Dict]) -> List[Dict]:
    """Specific-answer scores on the dev set for other thresholds of the selector."""
    from components.specific import SpecificAnswerSelector

    selector = component_of(agent, SpecificAnswerSelector)
    saved = dict(selector.thresholds)
    rows = []
    try:
        for threshold in SPECIFIC_SWEEP:
            selector.thresholds = {"default": threshold}
            parses = await parse_all(agent, [c["text"] for c in cases])
            outcomes = [specific_outcome(kb, c, planned_first_text(kb, p, REPLY_LANGUAGE[c["lang"]]))
                        for c, p in zip(cases, parses)]
            rows.append({"threshold": threshold, "scores": score_specific(cases, outcomes)})
    finally:
        selector.thresholds = saved
    return rows


SWEPT = ("question_weight", "context_weight", "fold_into_answered", "context_may_veto")


async def sweep(agent, kb, cases, settings: List[Dict]) -> List[Dict]:
    """Real-style scores, read from the actions' plan, for other combiner settings: each a dict
    of `threshold` (all languages) and any of SWEPT."""
    combiner = combiner_of(agent)
    saved = {"thresholds": dict(combiner.thresholds), **{k: getattr(combiner, k) for k in SWEPT}}
    rows = []
    try:
        for setting in settings:
            combiner.thresholds = {"default": setting["threshold"]}
            for key in SWEPT:
                setattr(combiner, key, setting.get(key, saved[key]))
            parses = await parse_all(agent, [c.text for c in cases])
            readings = [realstyle.plan_reading(kb, p) for p in parses]
            rows.append({"threshold": setting["threshold"], **{k: getattr(combiner, k) for k in SWEPT},
                         "scores": realstyle.score(cases, readings, kb.topics)})
    finally:
        for key, value in saved.items():
            setattr(combiner, key, value)
    return rows


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


# `make test` fails below these on the real-style held-out set (tests/realstyle/heldout/), per
# language set; the measured figures are in the issue note.
# Regression gates on the real-style held-out set, under what the model of issue 11 measures
# (four trainings: main answered 88.7-94.3% per language, all answered 61.5-88.9%, wrong topic
# 0-4.6%, out-of-scope escalated 90-100%, urgent first 100%).
REAL_THRESHOLDS = {
    "main_answered_min": 0.85,
    "all_answered_min": 0.60,
    "wrong_topic_max": 0.06,
    # 11 English near-topic messages in the held-out set: one is 9 points; four trainings of
    # 7 Dec 2026 on nearly the same data gave 0.818-0.909 (issue 11's target, 0.9, is printed)
    "oos_escalated_min": 0.80,
    "urgent_first_min": 1.0,
}
# What issue 11 asks on real patients' messages (per language set) and of the older set.
TARGETS = {
    "main_answered": (">=", 0.90), "all_answered": (">=", 0.80), "wrong_topic": ("<=", 0.03),
    "oos_escalated": (">=", 0.90), "urgent_first": (">=", 1.0),
}
OLDER_TARGETS = {"accuracy": (">=", 0.95), "urgent_recall": (">=", 1.0)}


def targets_line(report: Dict, targets: Dict, groups) -> List[str]:
    """One line per target: the figure per group, and whether each meets it."""
    lines = []
    for key, (op, goal) in targets.items():
        cells = []
        for group in groups:
            value = report[group].get(key)
            if value is None:
                continue
            met = value >= goal if op == ">=" else value <= goal
            cells.append(f"{group} {value:.3f} {'met' if met else 'NOT met'}")
        lines.append(f"  {key} {op} {goal}: " + ", ".join(cells))
    return lines
SWEEP = [{"question_weight": q, "context_weight": c, "context_may_veto": v, "threshold": t}
         for q in (0.6, 1.0) for c, v in ((0.0, True), (0.3, True), (0.3, False), (0.5, False))
         for t in (0.4, 0.5, 0.6)]
REAL_COLUMNS = ["messages", "main_answered", "all_answered", "wrong_topic", "oos_escalated",
                "oos_handoff", "urgent_first", "urgent_false_alarm", "clarify"]


def check_real(report: Dict[str, Dict[str, float]]) -> List[str]:
    problems = []
    for group in realstyle.SETS:
        r = report[group]
        for key, limit in (("main_answered", "main_answered_min"), ("all_answered", "all_answered_min"),
                           ("oos_escalated", "oos_escalated_min"), ("urgent_first", "urgent_first_min")):
            if r[key] is not None and r[key] < REAL_THRESHOLDS[limit]:
                problems.append(f"real-style {group}: {key} {r[key]:.3f} < {REAL_THRESHOLDS[limit]}")
        if r["wrong_topic"] > REAL_THRESHOLDS["wrong_topic_max"]:
            problems.append(f"real-style {group}: wrong topic {r['wrong_topic']:.3f} > {REAL_THRESHOLDS['wrong_topic_max']}")
    return problems


def print_table(title: str, report: Dict, columns: List[str], groups: List[str]) -> None:
    print(f"\n{title}")
    print(f"{'set':<15}" + "".join(f"{c[:14]:>15}" for c in columns))
    for group in groups:
        r = report[group]
        cells = []
        for c in columns:
            value = r.get(c)
            cells.append(f"{value:>15}" if isinstance(value, int) else
                         f"{'-':>15}" if value is None else f"{value:>15.3f}")
        print(f"{group:<15}" + "".join(cells))


def real_labels(topics) -> set:
    return set(topics) | {"out_of_scope", realstyle.URGENT}


async def evaluate(args) -> Dict:
    from actions.actions import MESSAGE_KEYS
    from actions.kb import load_kb, load_messages

    kb = load_kb(ROOT / "data" / "kb")
    texts = load_messages(ROOT / "data" / "messages.yml", MESSAGE_KEYS)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    reader = realstyle.ReplyReader(kb, texts, domain)
    older = load_examples(Path(args.tests))
    real = {name: realstyle.load_set(Path(args.realstyle) / name, real_labels(kb.topics))
            for name in ("heldout", "dev")}
    with action_server() as url:
        agent = load_agent(args.model, url)
        parses = await parse_all(agent, [text for _, _, text in older])
        results = {"older": (older, parses)}
        for name, cases in real.items():
            replies = await converse_all(agent, [c.text for c in cases], name)
            readings = [reader.read(r, realstyle.LANGUAGE[c.group]) for c, r in zip(cases, replies)]
            results[name] = (cases, readings, replies)
        swept = [] if args.no_sweep else await sweep(agent, kb, real["dev"], SWEEP)
        specific = {}
        for name in ("heldout", "dev"):
            cases = load_specific(Path(args.specific) / f"{name}.yml")
            replies = await converse_all(agent, [c["text"] for c in cases], f"specific-{name}")
            firsts = [next((m.get("text") for m in r if m.get("text")), None) for r in replies]
            outcomes = [specific_outcome(kb, c, f) for c, f in zip(cases, firsts)]
            specific[name] = (cases, outcomes, firsts, [[m.get("text") for m in r] for r in replies])
        specific_swept = [] if args.no_sweep else await sweep_specific(agent, kb, specific["dev"][0])
    return {"kb": kb, "results": results, "sweep": swept, "specific": specific,
            "specific_sweep": specific_swept}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "hsg.tar.gz"))
    parser.add_argument("--tests", default=str(ROOT / "tests" / "nlu"))
    parser.add_argument("--realstyle", default=str(ROOT / "tests" / "realstyle"))
    parser.add_argument("--specific", default=str(ROOT / "tests" / "specific"))
    parser.add_argument("--out", default=str(ROOT / "results"))
    parser.add_argument("--no-check", action="store_true", help="report only, never fail")
    parser.add_argument("--no-sweep", action="store_true", help="skip the threshold sweep")
    parser.add_argument("--show-heldout", action="store_true",
                        help="print the held-out set's failures too (tune on the dev set only)")
    args = parser.parse_args()

    done = asyncio.run(evaluate(args))
    kb, results = done["kb"], done["results"]
    examples, parses = results["older"]
    report = score(examples, parses, kb_intents())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wrong = failures(examples, parses)
    real_reports, real_failures = {}, {}
    for name in ("heldout", "dev"):
        cases, readings, _ = results[name]
        real_reports[name] = realstyle.score(cases, readings, kb.topics)
        real_failures[name] = realstyle.failures(cases, readings, kb.topics)
    (out / "eval.json").write_text(json.dumps({
        "older_set": {"report": report, "thresholds": THRESHOLDS, "errors": wrong},
        "realstyle": {name: {"report": real_reports[name], "failures": real_failures[name]}
                      for name in real_reports},
        "realstyle_thresholds": REAL_THRESHOLDS,
        "realstyle_replies": {name: [{"text": c.text, "asks": list(c.asks), "replies": r}
                                     for c, _, r in zip(*results[name])] for name in real_reports},
        "sweep_dev": done["sweep"],
        "specific": {name: {"report": score_specific(cases, outcomes),
                            "cases": [{**c, "outcome": o, "replies": r}
                                      for c, o, r in zip(cases, outcomes, replies)]}
                     for name, (cases, outcomes, _, replies) in done["specific"].items()},
        "specific_thresholds": SPECIFIC_THRESHOLDS,
        "specific_sweep_dev": done["specific_sweep"],
    }, indent=2, ensure_ascii=False), encoding="utf-8")
    confusion_png(examples, parses, out / "confusion_matrix.png")

    columns = ["messages", "accuracy", "wrong_topic", "fallback", "oos_escalated",
               "oos_to_hotline_directly", "urgent_recall", "urgent_false_alarm", "reply_language"]
    print_table("Older held-out set (tests/nlu/), NLU:", report, columns, list(TEST_FILES) + ["all"])
    print(f"\n{len(wrong)} messages not classified as labelled:")
    print("\n".join(wrong))
    for name in ("heldout", "dev"):
        print_table(f"Real-style {name} set (tests/realstyle/{name}/), end to end:",
                    real_reports[name], REAL_COLUMNS, list(realstyle.SETS) + ["all"])
        print(f"{len(real_failures[name])} messages with a missed or unasked answer", end="")
        if name == "heldout" and not args.show_heldout:
            # what is tuned looks at the development set only; these stay in results/eval.json
            print(" (in results/eval.json; --show-heldout prints them)")
        else:
            print(":\n" + "\n".join(real_failures[name]))
    if done["sweep"]:
        print("\nSweep on the dev set (read from the actions' plan): main answered / all answered / "
              "wrong topic / out of scope escalated, per language set")
        print(f"  {'q.w':>5} {'ctx':>5} {'veto':>5} {'fold':>5} {'thr':>5}"
              + "".join(f"{g:>30}" for g in realstyle.SETS))
        for row in done["sweep"]:
            cells = []
            for g in realstyle.SETS:
                r = row["scores"][g]
                cells.append("".join(f"{(r[k] if r[k] is not None else float('nan')):>7.3f}"
                                     for k in ("main_answered", "all_answered", "wrong_topic", "oos_escalated")) + "  ")
            print(f"  {row['question_weight']:>5.2f} {row['context_weight']:>5.2f}"
                  f" {'yes' if row['context_may_veto'] else 'no':>5}"
                  f" {'yes' if row['fold_into_answered'] else 'no':>5} {row['threshold']:>5.2f}"
                  + "".join(cells))
    specific_reports = {name: score_specific(cases, outcomes)
                        for name, (cases, outcomes, _, _) in done["specific"].items()}
    for name in ("heldout", "dev"):
        print_table(f"Specific questions (tests/specific/{name}.yml), end to end: the first reply is",
                    specific_reports[name], SPECIFIC_COLUMNS, list(SPECIFIC_SETS) + ["all"])
        if name == "dev" or args.show_heldout:
            cases, outcomes, _, _ = done["specific"][name]
            missed = [f"  [{c['lang']}] {c['topic']}/{c['specific']} -> {o}: {c['text']}"
                      for c, o in zip(cases, outcomes) if o != "leads_with_answer"]
            print(f"{len(missed)} not leading with the answer:\n" + "\n".join(missed))
    if done["specific_sweep"]:
        print("\nSpecific-answer threshold on the dev set (from the plan): leads with the answer / wrong")
        for row in done["specific_sweep"]:
            print(f"  {row['threshold']:>5.2f}" + "".join(
                f"{g:>16} {row['scores'][g]['leads_with_answer']:.3f} / {row['scores'][g]['wrong_answer']:.3f}"
                for g in list(SPECIFIC_SETS) + ["all"]))
    print("\nTargets of issue 12 (printed, not gated): specific questions, held-out set:")
    print("\n".join(targets_line(specific_reports["heldout"], SPECIFIC_TARGETS, list(SPECIFIC_SETS))))
    print("\nTargets of issue 11 (printed, not gated):\n  older set:")
    print("\n".join(targets_line(report, OLDER_TARGETS, list(TEST_FILES))))
    print("  real-style held-out set:")
    print("\n".join(targets_line(real_reports["heldout"], TARGETS, list(realstyle.SETS))))
    print(f"\nWrote {out / 'eval.json'} and {out / 'confusion_matrix.png'}")
    problems = check(report) + check_real(real_reports["heldout"])
    for metric, (op, limit) in SPECIFIC_THRESHOLDS.items():
        value = specific_reports["heldout"]["all"][metric]
        if (value < limit) if op == ">=" else (value > limit):
            problems.append(f"specific questions, held-out: {metric} {value:.3f} (limit {op} {limit})")
    if problems and not args.no_check:
        print("\nBELOW THRESHOLD:\n  " + "\n  ".join(problems))
        return 1
    print("\nAll thresholds met." if not problems else "\n(thresholds not checked)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
