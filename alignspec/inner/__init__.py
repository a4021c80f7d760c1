"""Inner alignment: does a learned policy pursue the specified objective?"""

from alignspec.inner._explains import explains
from alignspec.inner._optimality import optimality
from alignspec.inner._oversight import oversight
from alignspec.inner._shift import shift
from alignspec.inner._verify import verify

__all__ = ["explains", "optimality", "oversight", "shift", "verify"]
