"""The curator report: what patients asked that the bot could not answer, and what it answered.

    python scripts/report.py [--url URL | --sqlite PATH] [--since DAYS] [--top N] [--out DIR]
URL: a SQLAlchemy URL of the tracker store; default: $TRACKER_DB_URL, else the local SQLite store
($TRACKER_SQLITE_PATH, var/tracker.db). `make report` runs it.

From Rasa's `events` table, per conversation in order, each patient message and the bot's first
action after it:
- escalated or fell back: `utter_handoff` (hotline: out of scope, asking for a person, nothing
  predicted), `action_clarify` ("did you mean": the NLU was unsure), or `action_answer_topic`
  that set no `last_topic` (it sent the hotline: an entry not reviewed, or the action failed);
  grouped by the text lower-cased with whitespace collapsed, the most frequent first. Asking for
  a person right after "did you mean" (its "something else" button) counts as that question's
  outcome, not as another escalation;
- urgent: `utter_urgent`, counted apart (the safety net working, not a failure);
- topics answered: the `last_topic` slot that `action_answer_topic` sets only when it answered
  (its intent alone would count the entries it sent to the hotline), by reply language;
- languages: the reply language in effect, as the bot chooses it: the `language_preference`
  slot, else `language`, else Vietnamese;
- "did you mean" outcomes: the next message picked a suggested topic (`suggested_topics`), asked
  for a person (`request_human`), said something else, or there was no next message (left).
With --since DAYS only the messages of the last DAYS days count (earlier events still give the
slots in effect). Writes report.txt, report.json and report.png under --out (results/).
"""
import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from actions.settings import DEFAULT_LANGUAGE  # noqa: E402
from privacy.pii import mask  # noqa: E402
from scripts.purge import default_url  # noqa: E402

ANSWER, CLARIFY, HANDOFF, URGENT = "action_answer_topic", "action_clarify", "utter_handoff", "utter_urgent"
# Actions that are not the bot's reply to a message.
NOT_A_REPLY = {"action_listen", "action_session_start"}
# Events after which Rasa starts again from empty slots (carried-over slots are set again after).
SLOTS_CLEARED = {"restart", "session_started", "reset_slots"}
FALLBACK_INTENT = "nlu_fallback"
HELPFUL, NOT_HELPFUL = "feedback_helpful", "feedback_not_helpful"
PATHS = {"handoff": "hotline", "clarify": '"did you mean"',
         "no_answer": "a topic sent to the hotline: entry not reviewed, or the action failed"}
OUTCOMES = {"picked": "picked a suggested topic", "human": "asked for a person",
            "other": "said something else", "left": "no next message"}
Event = Dict[str, Any]


def normalise(text: Optional[str]) -> str:
    """The masked text, lower-cased, whitespace collapsed: how questions are grouped."""
    if not isinstance(text, str):
        return ""
    return " ".join(mask(text).lower().split())


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _name(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


class Turn:
    """A patient message and what the bot did with it."""

    def __init__(self, event: Event, timestamp: Optional[float]) -> None:
        parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
        intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
        ranking = parse.get("intent_ranking") if isinstance(parse.get("intent_ranking"), list) else []
        guess = next((r for r in ranking if isinstance(r, dict) and _name(r.get("name"))
                      and r.get("name") != FALLBACK_INTENT), {})
        self.text = event.get("text") if isinstance(event.get("text"), str) else None
        self.timestamp = _number(timestamp)
        self.intent = _name(intent.get("name"))
        self.confidence = _number(intent.get("confidence"))
        # what the classifier leaned to when it was unsure
        self.guess = _name(guess.get("name")) if self.intent == FALLBACK_INTENT else None
        self.guess_confidence = _number(guess.get("confidence")) if self.guess else None
        self.language: Optional[str] = None
        self.reply: Optional[str] = None  # the bot's first action
        self.topic: Optional[str] = None  # `last_topic` set by action_answer_topic
        self.suggested: List[str] = []  # `suggested_topics` set by action_clarify
        self.answers: List[str] = []  # `last_answers` set by action_answer_topic

    @property
    def path(self) -> Optional[str]:
        """How the message escalated or fell back, if it did."""
        if self.reply == HANDOFF:
            return "handoff"
        if self.reply == CLARIFY:
            return "clarify"
        if self.reply == ANSWER and self.topic is None:
            return "no_answer"
        return None


def reply_language(slots: Dict[str, Any]) -> str:
    """The patient's choice, else the detected language, else the default (as the bot replies)."""
    for value in (slots.get("language_preference"), slots.get("language")):
        if _name(value):
            return value
    return DEFAULT_LANGUAGE


def turns_of(events: List[Tuple[str, Optional[float], Event]]) -> List[Turn]:
    """The patient messages of one conversation, each with the bot's reply and the slots after it."""
    slots: Dict[str, Any] = {}
    turns: List[Turn] = []
    action = None  # the action whose events follow
    for type_name, timestamp, event in events:
        turn = turns[-1] if turns else None
        if type_name == "user":
            if turn and turn.language is None:
                turn.language = reply_language(slots)
            turns.append(Turn(event, timestamp))
            action = None
        elif type_name == "slot" and _name(event.get("name")):
            name, value = event["name"], event.get("value")
            slots[name] = value
            if turn and action == ANSWER and name == "last_topic" and _name(value):
                turn.topic = value
            if turn and action == ANSWER and name == "last_answers" and isinstance(value, list):
                turn.answers = [v for v in value if isinstance(v, str)]
            if turn and action == CLARIFY and name == "suggested_topics" and isinstance(value, list):
                turn.suggested = [v for v in value if isinstance(v, str)]
        elif type_name in SLOTS_CLEARED:
            slots.clear()
        elif type_name == "action":
            action = _name(event.get("name"))
            if turn and turn.reply is None and action and action not in NOT_A_REPLY:
                turn.reply = action
                turn.language = reply_language(slots)  # the slots the message set
    if turns and turns[-1].language is None:
        turns[-1].language = reply_language(slots)
    return turns


def _event(data: Any) -> Event:
    try:
        event = json.loads(data) if isinstance(data, (str, bytes)) else None
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def conversations(url: str, cutoff: Optional[float]) -> Iterator[List[Tuple[str, Optional[float], Event]]]:
    """The events of each conversation with a message since `cutoff`, in Rasa's order (by id)."""
    location = sa.engine.make_url(url)
    if location.get_backend_name() == "sqlite" and location.database not in (None, "", ":memory:") \
            and not Path(location.database).exists():
        return  # no conversation stored yet (and do not create the file)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                return
            where = "" if cutoff is None else (
                "where sender_id in (select sender_id from events where type_name = 'user' "
                "and timestamp >= :cutoff)")
            rows = connection.execution_options(stream_results=True).execute(sa.text(
                f"select sender_id, type_name, timestamp, data from events {where} "
                "order by sender_id, id"), {"cutoff": cutoff})
            for _, group in groupby(rows, key=lambda row: row[0]):
                yield [(type_name, timestamp, _event(data)) for _, type_name, timestamp, data in group]
    finally:
        engine.dispose()


def _iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _mean(values: List[float]) -> Optional[float]:
    return round(sum(values) / len(values), 3) if values else None


def _group(text: str, turns: List[Turn]) -> Dict[str, Any]:
    """One line of the escalation table: the messages with the same normalised text."""
    intent = Counter(t.intent for t in turns).most_common(1)[0][0]
    guesses = [t for t in turns if t.guess]
    guess = Counter(t.guess for t in guesses).most_common(1)[0][0] if guesses else None
    return {
        "text": text,
        "count": len(turns),
        "paths": dict(Counter(t.path for t in turns).most_common()),
        "languages": dict(Counter(t.language for t in turns).most_common()),
        "intent": intent,
        "confidence": _mean([t.confidence for t in turns if t.intent == intent and t.confidence is not None]),
        "guess": guess,
        "guess_confidence": _mean([t.guess_confidence for t in guesses
                                   if t.guess == guess and t.guess_confidence is not None]),
    }


def clarify_outcome(clarify: Turn, following: Optional[Turn]) -> str:
    """What the patient did after "did you mean"."""
    if following is None:
        return "left"
    if following.reply == ANSWER and (following.topic or following.intent) in clarify.suggested:
        return "picked"
    if following.intent == "request_human":
        return "human"
    return "other"


def build_report(url: str, since_days: Optional[float] = None, top: int = 15,
                 now: Optional[float] = None) -> Dict[str, Any]:
    """Every figure of the report, as a JSON-ready dict."""
    now = now or time.time()
    cutoff = None if since_days is None else now - since_days * 86400
    messages, conversations_by_language = Counter(), Counter()
    topics = defaultdict(Counter)
    escalated: Dict[str, List[Turn]] = defaultdict(list)
    paths = defaultdict(Counter)
    outcomes = Counter({outcome: 0 for outcome in OUTCOMES})
    urgent = conversation_count = 0
    timestamps: List[float] = []
    feedback: Dict[str, Counter] = defaultdict(Counter)  # answer -> helpful / not_helpful
    unhelpful: Dict[str, Dict[str, Any]] = {}  # question -> answers and count
    for events in conversations(url, cutoff):
        turns = turns_of(events)
        counted = [i for i, t in enumerate(turns)
                   if cutoff is None or (t.timestamp is not None and t.timestamp >= cutoff)]
        if not counted:
            continue
        conversation_count += 1
        conversations_by_language.update({turns[i].language for i in counted})
        for i in counted:
            turn, previous = turns[i], turns[i - 1] if i else None
            after_clarify = previous is not None and previous.reply == CLARIFY
            messages[turn.language] += 1
            timestamps += [turn.timestamp] if turn.timestamp is not None else []
            urgent += turn.reply == URGENT
            if turn.reply == ANSWER and turn.topic:
                topics[turn.topic][turn.language] += 1
            if turn.path and not (after_clarify and turn.intent == "request_human"):
                escalated[normalise(turn.text)].append(turn)
                paths[turn.path][turn.language] += 1
            if turn.reply == CLARIFY:
                outcomes[clarify_outcome(turn, turns[i + 1] if i + 1 < len(turns) else None)] += 1
            if turn.intent in (HELPFUL, NOT_HELPFUL):
                answered = answered_before(turns, i)
                verdict = "helpful" if turn.intent == HELPFUL else "not_helpful"
                for key in (answered.answers if answered else ["(no answer before)"]):
                    feedback[key][verdict] += 1
                if answered and verdict == "not_helpful":
                    line = unhelpful.setdefault(normalise(answered.text), {
                        "question": normalise(answered.text), "answers": answered.answers, "count": 0})
                    line["count"] += 1
    groups = sorted((_group(text, group) for text, group in escalated.items()),
                    key=lambda group: (-group["count"], group["text"]))
    return {
        "source": sa.engine.make_url(url).render_as_string(hide_password=True),
        "generated": _iso(now),
        "since_days": since_days,
        "totals": {"conversations": conversation_count, "user_messages": sum(messages.values()),
                   "first_message": _iso(min(timestamps, default=None)),
                   "last_message": _iso(max(timestamps, default=None))},
        "languages": {"messages": dict(messages.most_common()),
                      "conversations": dict(conversations_by_language.most_common())},
        "escalations": {
            "messages": sum(len(group) for group in escalated.values()),
            "by_path": {path: dict(paths[path].most_common()) for path in PATHS if paths[path]},
            "top": groups[:top],
            "distinct_questions": len(groups),
        },
        "urgent": urgent,
        "topics": {topic: dict(count.most_common()) for topic, count in
                   sorted(topics.items(), key=lambda item: (-sum(item[1].values()), item[0]))},
        "clarifications": {"total": sum(outcomes.values()), "outcomes": dict(outcomes)},
        "feedback": {
            "answers": {key: {"helpful": c["helpful"], "not_helpful": c["not_helpful"],
                              "helped": round(c["helpful"] / (c["helpful"] + c["not_helpful"]), 3)}
                        for key, c in sorted(feedback.items(),
                                             key=lambda item: (-item[1]["not_helpful"], item[0]))},
            "not_helpful_questions": sorted(unhelpful.values(),
                                            key=lambda line: (-line["count"], line["question"]))[:top],
        },
    }


def answered_before(turns: List[Turn], index: int) -> Optional[Turn]:
    """The message whose answer a "did this help?" verdict is about: the last one answered from
    the knowledge base before it (a verdict typed after another verdict still counts for it)."""
    for turn in reversed(turns[:index]):
        if turn.intent in (HELPFUL, NOT_HELPFUL):
            continue
        return turn if turn.reply == ANSWER and turn.answers else None
    return None


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _nlu(group: Dict[str, Any]) -> str:
    """The intent and confidence; when the NLU was unsure, its best guess instead."""
    name, confidence = group["intent"] or "?", group["confidence"]
    if group["guess"]:
        name, confidence = f"unsure: {group['guess']}", group["guess_confidence"]
    return name if confidence is None else f"{name} {confidence:.2f}"


def render_text(report: Dict[str, Any]) -> str:
    """The plain-text report."""
    totals = report["totals"]
    period = f"last {report['since_days']:g} days" if report["since_days"] is not None else "all time"
    lines = ["HSG assistant: curator report",
             f"Tracker store: {report['source']} ({period}); generated {report['generated']}",
             "Patient text: phone numbers, e-mails and introduced names masked (privacy/pii.py)"]
    if not totals["user_messages"]:
        return "\n".join(lines + ["", "No conversations yet."]) + "\n"
    languages = report["languages"]
    lines += [
        f"Period: {totals['first_message']} to {totals['last_message']}",
        f"Conversations: {totals['conversations']}, patient messages: {totals['user_messages']}",
        "Languages (reply language): " + ", ".join(
            f"{lang} {count} messages in {languages['conversations'].get(lang, 0)} conversations"
            for lang, count in languages["messages"].items()),
        "",
    ]
    escalations = report["escalations"]
    lines.append(f"Escalated or fell back: {escalations['messages']} messages"
                 + "".join(f"\n  {path:<10}{sum(counts.values()):>5}  {PATHS[path]}"
                           for path, counts in escalations["by_path"].items()))
    lines.append(f"Urgent (told 115 and the hotline, not a failure): {report['urgent']}")
    if escalations["top"]:
        lines.append(f"Top {len(escalations['top'])} of {escalations['distinct_questions']} questions:")
        lines.append(f"  {'count':>5}  {'path':<16}  {'lang':<5}  {'NLU intent (confidence)':<36}  question")
        for group in escalations["top"]:
            lines.append(f"  {group['count']:>5}  {'/'.join(group['paths']):<16}  "
                         f"{'/'.join(group['languages']):<5}  {_cut(_nlu(group), 36):<36}  "
                         f"{_cut(group['text'], 80) or '(no text)'}")
    lines += ["", "Topics answered (by reply language):"]
    if report["topics"]:
        names = sorted({lang for counts in report["topics"].values() for lang in counts})
        lines.append(f"  {'topic':<24}" + "".join(f"{lang:>6}" for lang in names) + f"{'total':>7}")
        for topic, counts in report["topics"].items():
            lines.append(f"  {topic:<24}" + "".join(f"{counts.get(lang, 0):>6}" for lang in names)
                         + f"{sum(counts.values()):>7}")
    else:
        lines.append("  none")
    clarifications = report["clarifications"]
    lines += ["", f'"Did you mean" asked: {clarifications["total"]}; what the patient did next:']
    lines += [f"  {OUTCOMES[outcome]:<26}{count:>5}" for outcome, count in clarifications["outcomes"].items()]
    feedback = report["feedback"]
    lines += ["", "Did the answer help? (per topic or topic/specific answer, least helpful first)"]
    if feedback["answers"]:
        lines.append(f"  {'answer':<44}{'helped':>8}{'not':>6}{'share':>8}")
        for key, row in feedback["answers"].items():
            lines.append(f"  {_cut(key, 44):<44}{row['helpful']:>8}{row['not_helpful']:>6}{row['helped']:>8.0%}")
        if feedback["not_helpful_questions"]:
            lines.append("Questions whose answer did not help (masked), for the clinicians:")
            for line in feedback["not_helpful_questions"]:
                lines.append(f"  {line['count']:>5}  {_cut(line['question'], 70) or '(no text)'}  "
                             f"-> {', '.join(line['answers'])}")
    else:
        lines.append("  no feedback yet")
    return "\n".join(lines) + "\n"


def render_png(report: Dict[str, Any], path: Path) -> None:
    """Topics answered by language, escalations by path, "did you mean" outcomes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not report["totals"]["user_messages"]:
        fig = Figure(figsize=(6, 2))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, "HSG assistant: no conversations yet", ha="center", va="center")
        fig.savefig(path, dpi=100)
        return
    languages = list(report["languages"]["messages"])
    topics = list(report["topics"])[::-1]  # bars go up: the most answered on top
    by_path = report["escalations"]["by_path"]
    fig = Figure(figsize=(14, max(6, 0.35 * len(topics) + 2)))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.3, 1])
    panels = [(fig.add_subplot(grid[:, 0]), topics, [report["topics"][t] for t in topics],
               "Topics answered, by reply language"),
              (fig.add_subplot(grid[0, 1]), list(by_path)[::-1], list(by_path.values())[::-1],
               f"Escalated or fell back, by path (urgent, not counted here: {report['urgent']})")]
    for ax, labels, rows, title in panels:
        left = [0] * len(labels)
        for lang in languages:
            values = [row.get(lang, 0) for row in rows]
            ax.barh(range(len(labels)), values, left=left, label=lang)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, loc="lower right")
    outcomes = list(report["clarifications"]["outcomes"].items())[::-1]
    ax = fig.add_subplot(grid[1, 1])
    ax.barh(range(len(outcomes)), [count for _, count in outcomes], color="tab:gray")
    ax.set_yticks(range(len(outcomes)), [OUTCOMES[outcome] for outcome, _ in outcomes], fontsize=8)
    ax.set_title(f'After "did you mean" ({report["clarifications"]["total"]})', fontsize=10)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"HSG assistant: {report['totals']['conversations']} conversations, "
                 f"{report['totals']['user_messages']} messages, "
                 f"{report['totals']['first_message']} to {report['totals']['last_message']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(report: Dict[str, Any], out: Path) -> str:
    """Writes report.txt, report.json and report.png under `out`; the text."""
    out.mkdir(parents=True, exist_ok=True)
    text = render_text(report)
    (out / "report.txt").write_text(text, encoding="utf-8")
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    render_png(report, out / "report.png")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--url", default=default_url(), help="SQLAlchemy URL of the tracker store")
    store.add_argument("--sqlite", metavar="PATH", help="a SQLite tracker store file")
    parser.add_argument("--since", type=float, metavar="DAYS", help="only the last DAYS days")
    parser.add_argument("--top", type=int, default=15, help="questions listed (default 15)")
    parser.add_argument("--out", default=str(ROOT / "results"), help="folder of the files")
    args = parser.parse_args()
    if args.since is not None and args.since < 0:
        parser.error("--since must be 0 or more")
    if args.top < 0:
        parser.error("--top must be 0 or more")
    url = f"sqlite:///{args.sqlite}" if args.sqlite else args.url
    out = Path(args.out)
    print(write_report(build_report(url, args.since, args.top), out), end="")
    print(f"\nWrote {out / 'report.txt'}, {out / 'report.json'} and {out / 'report.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
