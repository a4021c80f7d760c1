"""Inner alignment: does a learned policy pursue the specified objective?"""

from alignspec.inner.explains import explains
from alignspec.inner.optimality import optimality
from alignspec.inner.oversight import oversight
from alignspec.inner.shift import shift
from alignspec.inner.verify import verify

__all__ = ["explains", "optimality", "oversight", "shift", "verify"]
