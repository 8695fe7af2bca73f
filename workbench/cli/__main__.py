"""``python -m workbench.cli``: the same command line as ``workbench``."""

from workbench.cli import main

main()
