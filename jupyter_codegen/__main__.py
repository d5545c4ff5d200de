"""``python -m jupyter_codegen run NOTEBOOK.ipynb``."""

import sys

from .cli import main

sys.exit(main())
