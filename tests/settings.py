"""Settings for the test suite: the real settings, with keys made when the tests start.

No key is written in the repository, so none here either: each run generates
a fresh set (tourdraw.keys) before tourdraw.settings reads the environment.
Subprocesses started by tests inherit the same keys through the environment.
"""

import os

from tourdraw import keys

os.environ.setdefault("TOURDRAW_ENV", "development")
for _name, _value in keys.generate().items():
    os.environ.setdefault(_name, _value)

from tourdraw.settings import *  # noqa: E402, F403
