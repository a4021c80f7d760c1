"""How reports name a spec's file: relative to the working directory (the project root a
CI job or a developer runs from) when the file lies under it, so output does not depend on
where the checkout sits; as given otherwise."""

from __future__ import annotations

import os


def shown(path: str) -> str:
    """``path`` relative to the working directory when inside it, with forward slashes."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return path  # outside the working directory: a relative path would only climb
    return relative.replace(os.sep, "/")
