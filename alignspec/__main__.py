import sys

from alignspec.cli import main

sys.exit(main())
