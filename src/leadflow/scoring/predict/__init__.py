"""Predictive scoring: a conversion model learned from won and lost leads (`model.py`, `columns.py`: pure), kept and
applied to open leads (`service.py`), on a schedule (`jobs.py`), from the command line (`cli.py`) and on the lead
page (`views.py`).

Models stored before this package existed were pickled as `leadflow.scoring.predict.ConversionModel` (and its
`Column`, `Blend`): those names still resolve here, loaded only when asked for, so the web app starts without pandas.
"""

from importlib import import_module

_STORED = {"ConversionModel": "model", "Blend": "model", "Driver": "model", "Column": "columns"}


def __getattr__(name: str):
    if name in _STORED:
        return getattr(import_module(f"{__name__}.{_STORED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
