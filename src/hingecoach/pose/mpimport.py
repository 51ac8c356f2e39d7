"""Import MediaPipe without its drawing helpers, which import ``matplotlib.pyplot`` and which hingecoach never uses.

``import mediapipe`` (or any ``mediapipe.*``) runs ``mediapipe/tasks/python/vision/__init__.py``, which imports
``drawing_utils`` and ``drawing_styles``; ``drawing_utils`` begins with ``import matplotlib.pyplot as plt`` for
its plotting helpers. Loading matplotlib and pyplot (backends, colormaps, fonts, ``figure``, ``axes``, ``text``,
pyparsing, PIL) is ~0.6-0.9 s of every process that tracks a pose — each spawned chunk worker and batch worker —
about half of MediaPipe's import, for two modules nothing here calls (our reports draw with ``matplotlib.figure``
directly, in the processes that render them).

:func:`import_mediapipe` is the one door every hingecoach use of MediaPipe goes through. While it imports MediaPipe
for the first time, a finder on ``sys.meta_path`` answers for exactly those two modules with a placeholder
(:class:`DeferredModule`) that carries the real module's spec and executes the real module on the first read of a
public attribute, then forwards to it; the finder is removed as soon as the import returns. So
``vision.drawing_utils.draw_landmarks`` and ``vision.drawing_styles`` still work, only later, and matplotlib itself
is left untouched: a process that uses pyplot gets the real one, imported when it asks. When MediaPipe is already
imported, nothing is done.

``importlib.util.LazyLoader`` cannot do this: the import system reads a module's ``__spec__`` when it is imported
again, and a lazy module loads itself on that first attribute access. The placeholder keeps ``__spec__``,
``__file__`` and the other module attributes in its own namespace and never loads on a dunder name, so
introspection (``inspect``, ``warnings``, re-imports) does not trigger the load; ``from ... import *`` does.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

#: MediaPipe modules imported by ``mediapipe.tasks.python.vision`` that only draw (and import pyplot to do so).
DEFERRED: Final[frozenset[str]] = frozenset(
    {"mediapipe.tasks.python.vision.drawing_utils", "mediapipe.tasks.python.vision.drawing_styles"}
)
_lock = threading.RLock()


class DeferredModule(ModuleType):
    """A deferred MediaPipe module: the first read of a public attribute executes the real one and forwards to it."""

    def __getattr__(self, name: str) -> Any:  # only called for names not in the placeholder's own namespace
        if name.startswith("__") and name.endswith("__") and name != "__all__":
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return getattr(_load(self), name)

    def __dir__(self) -> list[str]:
        return dir(_load(self))


def _load(placeholder: DeferredModule) -> ModuleType:
    """Execute the real module (once) in place of ``placeholder`` in ``sys.modules`` and on its package."""
    name = placeholder.__name__
    with _lock:
        current = sys.modules.get(name)
        if current is not placeholder and current is not None:
            return current
        real_spec = placeholder.__spec__.loader_state if placeholder.__spec__ is not None else None
        if not isinstance(real_spec, importlib.machinery.ModuleSpec) or real_spec.loader is None:
            raise ImportError(f"{name}: the deferred module lost its real spec", name=name)
        real = importlib.util.module_from_spec(real_spec)
        sys.modules[name] = real
        try:
            real_spec.loader.exec_module(real)
        except BaseException:
            sys.modules[name] = placeholder  # a failed load leaves things as they were
            raise
        package, _, child = name.rpartition(".")
        setattr(sys.modules[package], child, real)
        return real


class _DeferringFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the :data:`DEFERRED` modules where the normal path finder would, and loads a placeholder for them."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in DEFERRED:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.loader is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=real.origin, loader_state=real)
        spec.has_location = real.has_location  # so the placeholder gets the real ``__file__``
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return DeferredModule(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing yet: the real module runs on first use (:class:`DeferredModule`)."""


def import_mediapipe() -> ModuleType:
    """``import mediapipe`` with its drawing modules deferred; every hingecoach module that uses MediaPipe calls this.

    A no-op beyond the import when MediaPipe is already imported (by us or by anyone else).
    """
    with _lock:
        if "mediapipe" in sys.modules:
            return sys.modules["mediapipe"]
        finder = _DeferringFinder()
        sys.meta_path.insert(0, finder)
        try:
            return importlib.import_module("mediapipe")
        finally:
            sys.meta_path.remove(finder)
