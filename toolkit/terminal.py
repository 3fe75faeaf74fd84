"""The terminal shows results, not the log: the log goes to the run directory
(configs/hydra/job_logging/quiet.yaml), and -v or hydra.verbose brings it back to the terminal."""

from __future__ import annotations

import logging

VERBOSE_FLAGS = ("-v", "--verbose")
# Hydra override that lets the log's INFO lines through to the terminal (configs/hydra/job_logging/quiet.yaml)
CONSOLE_INFO = "hydra.job_logging.handlers.console.level=INFO"


def take_verbose_flag(argv: list[str]) -> list[str]:
    """The command line with -v/--verbose turned into the Hydra override that shows the full log."""
    return [CONSOLE_INFO if arg in VERBOSE_FLAGS else arg for arg in argv]


def show_debug_log() -> None:
    """For hydra.verbose: Hydra sets the loggers to DEBUG; let the terminal handlers show it too."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.DEBUG)
