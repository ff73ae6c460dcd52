"""trackdetect: find email tracking in a raw message, offline.

>>> from trackdetect import detect
>>> report = detect(raw_bytes)          # doctest: +SKIP
>>> report.tracked, [f.kind for f in report.findings]  # doctest: +SKIP

``detect()`` never touches the network or the disk. Updating tracker lists is a separate,
explicit call (``trackdetect update-lists``).
"""

from __future__ import annotations

import logging

from ._detect import detect, detect_html, preload
from ._errors import DataError, InputError, TrackdetectError, UpdateError
from ._explain import explain
from ._lists import BlockList, ParameterRules, load_saved_lists, parse_adblock, parse_clearurls
from ._options import Options
from ._params import clean_url
from ._vendors import load_vendor_index, read_shipped_data
from .report import Confidence, Defect, Finding, Kind, Report

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# Read the shipped tracker data now, so that detect() itself never opens a file.
read_shipped_data()

__all__ = [
    "BlockList",
    "Confidence",
    "DataError",
    "Defect",
    "Finding",
    "InputError",
    "Kind",
    "Options",
    "ParameterRules",
    "Report",
    "TrackdetectError",
    "UpdateError",
    "__version__",
    "clean_url",
    "detect",
    "detect_html",
    "explain",
    "load_saved_lists",
    "load_vendor_index",
    "parse_adblock",
    "parse_clearurls",
    "preload",
]
