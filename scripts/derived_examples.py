"""Write data/nlu/<lang>/derived.yml: examples cut from the patients' messages in the training data.

The question finder (components/questions.py) reads each question of a message apart from the
story around it. Two kinds of examples teach the classifier what it will then see:
- `story`: the pieces of the knowledge-base training examples that the question finder leaves
  out as story (not asking, not completing a question), without greetings and worries; it
  sometimes takes such a piece for a question ("chưa kịp hỏi gì"), and a piece classified as
  story is dropped instead of answered;
- the question itself, with its message's intent: the part the finder reads in a story-first
  example that asks one thing ("... anyway, does it hurt?" -> "anyway, does it hurt", hsg_pain).
Both come from the same patients' words as the rest of the data. Pieces like a held-out message
are left out. Run after adding training data:

    .venv/bin/python scripts/derived_examples.py
"""
import hashlib
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.questions import _pieces, question_parts  # noqa: E402
from components.red_flags import is_worry  # noqa: E402
from components.text import canonical_text  # noqa: E402
from scripts.realstyle import overlap  # noqa: E402

PER_LANGUAGE = 260
NOT_STORY = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human",
             "switch_language", "story", "report_urgent_symptom"}
_GREETING = re.compile(r"^(chao|xin chao|hi|hello|hey|dear|alo|da|thua|good (morning|afternoon|evening))\b")


def examples(language: str):
    for path in sorted((ROOT / "data" / "nlu" / language).glob("*.yml")):
        if path.name == "derived.yml":
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            specific = (block.get("metadata") or {}).get("specific")
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    yield block["intent"], specific, line.strip()[2:].strip()


def story_pieces(text: str):
    """The pieces of a message that the question finder drops as story (none in a message that
    asks nothing the finder can see: such a message is one question as a whole)."""
    pieces = _pieces(text)
    if not any(piece.asks for piece in pieces):
        return
    sentence_asked = False
    for piece in pieces:
        if piece.sentence_start:
            sentence_asked = False
        if piece.asks:
            sentence_asked = True
        elif not sentence_asked:
            yield piece.text


def test_texts():
    """Every message of the held-out sets: a piece like one of them is left out (tests/test_data.py
    fails on any overlap)."""
    texts = []
    for path in (ROOT / "tests").glob("**/*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            texts += [l.strip()[2:] for l in block.get("examples", "").splitlines() if l.strip().startswith("- ")]
        texts += [m["text"] for m in data.get("messages", [])]
    return texts


def main() -> None:
    held_out = test_texts()
    for language in ("en", "vi"):
        known = {canonical_text(t) for _, _, t in examples(language)}
        stories, questions = {}, {}
        for intent, specific, text in examples(language):
            if intent in NOT_STORY:
                continue
            for piece in story_pieces(text):
                folded = canonical_text(piece)
                if (len(folded.split()) < 3 or folded in known or _GREETING.match(folded)
                        or is_worry(piece) or "?" in piece):
                    continue
                stories.setdefault(folded, piece)
            parts = question_parts(text)
            if len(parts) == 1 and intent != "out_of_scope":
                folded = canonical_text(parts[0][0])
                if len(folded.split()) >= 3 and folded not in known:
                    questions.setdefault(folded, (intent, specific or "", parts[0][0]))
        blocks = {("story", ""): sample(stories.values(), held_out, PER_LANGUAGE)}
        for intent, specific, piece in sorted(questions.values()):
            blocks.setdefault((intent, specific), [])
            if piece not in overlap([piece], held_out, min_words=3):
                blocks[(intent, specific)].append(piece)
        # a question cut from an example of a specific answer keeps its block's `specific`
        body = "".join(
            f"- intent: {intent}\n" + (f"  metadata:\n    specific: {specific}\n" if specific else "")
            + "  examples: |\n" + "".join(f"    - {p}\n" for p in sorted(pieces))
            for (intent, specific), pieces in blocks.items() if pieces
        )
        out = ROOT / "data" / "nlu" / language / "derived.yml"
        out.write_text(
            'version: "3.1"\n'
            "# Cut from the training examples by scripts/derived_examples.py: pieces of patients'\n"
            "# stories (story, never answered) and the questions of story-first examples.\n"
            f"nlu:\n{body}",
            encoding="utf-8",
        )
        print(f"{out}: {len(blocks[('story', '')])} story pieces of {len(stories)}, "
              f"{sum(len(v) for k, v in blocks.items() if k[0] != 'story')} questions")


def sample(pieces, held_out, count):
    """`count` pieces chosen by a hash of their text: a stable choice, so that a few new training
    examples change a few pieces, not the whole sample (which moved the model's scores by
    several points between otherwise equal trainings)."""
    candidates = sorted(set(pieces) - set(overlap(pieces, held_out, min_words=3)))
    ranked = sorted(candidates, key=lambda p: hashlib.sha1(canonical_text(p).encode("utf-8")).hexdigest())
    return sorted(ranked[:count])


if __name__ == "__main__":
    main()
