#!/usr/bin/env python3
"""`python -m termchat`, and the installed `termchat` command itself.

The wheel installs this file as the `termchat` script (pyproject: `shared-scripts`; the installer
points its first line at the environment's Python) instead of a generated console-script
wrapper: pip's wrapper imports `re` before anything else runs, a large share of the start-up of
every `termchat --version`, `list` or pipe (figures: benchmarks/README.md).
"""

from termchat.entry import main

raise SystemExit(main())
