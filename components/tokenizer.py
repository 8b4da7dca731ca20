"""`FoldingTokenizer`: whitespace tokens whose lemma is the unaccented, abbreviation-expanded word.

The featurizers read the lemma (`use_lemma: true`), so "chụp", "chup" and "CHỤP" are one feature
and "ko", "k", "hok" all count as "khong". The text itself stays as typed.
"""
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from components.text import canonical


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class FoldingTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer with accent-folded, abbreviation-expanded lemmas."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = canonical(token.text)
        return tokens
