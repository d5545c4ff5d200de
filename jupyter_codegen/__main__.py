"""``python -m jupyter_codegen run NOTEBOOK.ipynb``."""

import sys

from jupyter_codegen.cli import main

sys.exit(main())
