import sys

try:
    from alignspec.cli import main
except KeyboardInterrupt:  # Ctrl-C while sympy and z3 load: no traceback either
    print("alignspec: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
