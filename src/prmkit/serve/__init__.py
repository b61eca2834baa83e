"""A batched, authenticated step-reward server: ``problem + steps`` in, one score (or reward) per step out.

The server holds no scoring or credit logic of its own: it runs a scorer from
:class:`~prmkit.scoring.config.ScorerConfig` (the step-score cache in front)
and the credit rules of :data:`prmkit.rewards.CREDIT`, gathering concurrent
requests into one ``score`` call. :func:`prmkit.serve.app.serve` (``prmkit
serve``) runs it; :func:`prmkit.serve.app.create_app` builds the FastAPI app;
the ``remote`` scoring backend (``load_prm("http://host:port/NAME")``) calls
it. ``docs/serve.md`` has the routes and the commands. This package imports
FastAPI only in :mod:`prmkit.serve.app`.

>>> from prmkit.scoring.config import ScorerConfig
>>> ServeConfig(scorer=ScorerConfig(prm="arith"), no_auth=True).scorer.name
'arith'
"""

from __future__ import annotations

from prmkit.serve.config import KEYS_ENV, ServeConfig, read_keys

__all__ = ["KEYS_ENV", "ServeConfig", "read_keys"]
