import sys

from triage.cli import main

if __name__ == "__main__":  # worker processes (spawn) import this module without running the CLI
    sys.exit(main())
