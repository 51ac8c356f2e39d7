"""The ``hingecoach`` console script's entry point: a module that imports nothing until the command runs.

Why a module of its own: the script pip generates does ``from <module> import <function>`` at its top level, and
multiprocessing's ``spawn`` start method re-runs the parent's main script (as ``__mp_main__``) in every process it
starts. With ``hingecoach.cli`` as the entry module, every pose chunk worker of ``analyze`` and every ``batch``
worker imported typer, rich and all the CLI modules (~0.1-0.2 s) before its real work; with this one it imports
nothing. The ``if __name__ == "__main__"`` guard of the generated script keeps the workers from running the CLI.
"""

from __future__ import annotations


def main() -> None:
    """Run the CLI (``hingecoach.cli.main``)."""
    from hingecoach.cli import main as cli_main

    cli_main()
