"""Bases of the project's NLU components: those that learn nothing from training data, and
those that keep one learned value in the Rasa model."""
import logging
from pathlib import Path
from typing import Any, Dict, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)


class StatelessComponent(GraphComponent):
    """Created from nothing, passes training data through; subclasses implement `process`."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "StatelessComponent":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


class LearnedComponent(GraphComponent):
    """Keeps what `train` learned (`self.learned`) in one file of the Rasa model (`FILE`): `save`
    writes it, `load` reads it back; a model without it gives `empty()`. Subclasses implement
    `get_default_config`, `train`, `process`, `empty`, `read` and `write`."""

    FILE: Text = ""

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 learned: Optional[Any] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.learned = learned if learned is not None else self.empty()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LearnedComponent":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LearnedComponent":
        try:
            with model_storage.read_from(resource) as directory:
                learned = cls.read(Path(directory) / cls.FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("%s: nothing learned in this Rasa model", cls.__name__)
            learned = None
        return cls(config, model_storage, resource, learned)

    def save(self) -> Resource:
        with self._storage.write_to(self._resource) as directory:
            self.write(Path(directory) / self.FILE, self.learned)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    @staticmethod
    def empty() -> Any:
        return {}

    @staticmethod
    def read(path: Path) -> Any:
        raise NotImplementedError

    @staticmethod
    def write(path: Path, learned: Any) -> None:
        raise NotImplementedError


class JoblibComponent(LearnedComponent):
    """A learned component whose learned value (scikit-learn models) is kept with joblib."""

    @staticmethod
    def read(path: Path) -> Any:
        import joblib

        return joblib.load(path)

    @staticmethod
    def write(path: Path, learned: Any) -> None:
        import joblib

        joblib.dump(learned, path)
