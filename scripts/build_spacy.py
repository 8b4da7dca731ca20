"""Build the project's spaCy pipeline (blank multilingual + red-flag EntityRuler) for SpacyNLP.

Usage: python scripts/build_spacy.py data/safety/red_flags.yml build/spacy/red_flags
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.red_flags import build_pipeline  # noqa: E402


def main(source: str, target: str) -> None:
    nlp = build_pipeline(Path(source))
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    print(f"spaCy pipeline with {len(nlp.get_pipe('entity_ruler').patterns)} red-flag patterns -> {target}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
