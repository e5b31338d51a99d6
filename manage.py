#!/usr/bin/env python
"""Same as the ``posko`` command, for a checkout that is not installed."""

from posko.__main__ import main

if __name__ == "__main__":
    main()
