import sys

from hansearch.cli import main

sys.exit(main())
