"""Import MediaPipe without paying for ``matplotlib.pyplot``, which it imports and hingecoach never uses.

``import mediapipe`` (or any ``mediapipe.*``) runs ``mediapipe/tasks/python/vision/__init__.py``, which imports
``drawing_utils``, whose first lines do ``import matplotlib.pyplot as plt`` for two plotting helpers. Loading pyplot
(its backend machinery, colormaps, ``matplotlib.figure``, ``axes``, ``text``, ...) is ~0.4-0.6 s of every process
that tracks a pose — each spawned chunk worker and batch worker — for a module nothing here calls: our reports
import ``matplotlib.figure`` and friends directly, never pyplot.

:func:`import_mediapipe` is the one door every hingecoach use of MediaPipe goes through. Before the first import it
puts a placeholder module under ``sys.modules["matplotlib.pyplot"]`` that imports the real pyplot on the first
access to any public attribute and forwards to it (a PEP 562 module ``__getattr__``), so code that does use pyplot
later — MediaPipe's plotting helpers, a notebook, ``matplotlib.use`` — still gets the real objects, only later.
It costs nothing when pyplot is already imported (then nothing is installed), and ``import matplotlib`` itself
(~0.15 s) is still paid, by MediaPipe's ``import matplotlib.pyplot as plt``.

``importlib.util.LazyLoader`` cannot do this: the import system reads the module's ``__spec__`` when it is imported
again, and a lazy module loads itself on that first attribute access. The placeholder carries the real module's
spec (and ``__file__``) in its own namespace and never loads on a dunder name, so introspection (``inspect``,
``warnings``, the import system) does not trigger the load either; ``from matplotlib.pyplot import *`` does.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any, Final

PYPLOT: Final[str] = "matplotlib.pyplot"
_lock = threading.RLock()


class PyplotPlaceholder(ModuleType):
    """Stands for ``matplotlib.pyplot`` until something reads one of its attributes (then forwards to the real one)."""


def _real_pyplot(placeholder: ModuleType) -> ModuleType:
    """The real ``matplotlib.pyplot``, imported on first need (the placeholder steps out of ``sys.modules`` first)."""
    with _lock:
        if sys.modules.get(PYPLOT) is placeholder:
            del sys.modules[PYPLOT]
            try:
                return importlib.import_module(PYPLOT)  # also rebinds ``matplotlib.pyplot`` to the real module
            except BaseException:
                sys.modules[PYPLOT] = placeholder  # a failed import leaves things as they were
                raise
    return importlib.import_module(PYPLOT)


def _placeholder() -> ModuleType:
    import matplotlib  # the package itself: MediaPipe's ``import matplotlib.pyplot as plt`` imports it anyway

    spec = importlib.util.find_spec(PYPLOT)
    module = PyplotPlaceholder(PYPLOT, "Placeholder for matplotlib.pyplot: imports the real one on first use.")

    def forward(name: str) -> Any:  # PEP 562 ``__getattr__``: only called for names not in the placeholder's dict
        if name.startswith("__") and name.endswith("__") and name != "__all__":
            raise AttributeError(f"module {PYPLOT!r} has no attribute {name!r}")
        real = _real_pyplot(module)
        if name == "__all__" and not hasattr(real, "__all__"):  # what ``import *`` takes from a module without one
            return [n for n in vars(real) if not n.startswith("_")]
        return getattr(real, name)

    def listing() -> list[str]:
        return dir(_real_pyplot(module))

    module.__spec__ = spec
    module.__file__ = None if spec is None else spec.origin
    module.__loader__ = None if spec is None else spec.loader
    vars(module).update(__getattr__=forward, __dir__=listing)
    sys.modules[PYPLOT] = module
    vars(matplotlib)["pyplot"] = module  # ``import matplotlib.pyplot; matplotlib.pyplot.plot`` works before the load
    return module


def defer_pyplot() -> None:
    """Put the pyplot placeholder in place unless ``matplotlib.pyplot`` (real or placeholder) is already imported."""
    with _lock:
        if PYPLOT not in sys.modules:
            _placeholder()


def import_mediapipe() -> ModuleType:
    """``import mediapipe`` with :func:`defer_pyplot` first; every hingecoach module that uses MediaPipe calls this."""
    defer_pyplot()
    return importlib.import_module("mediapipe")
