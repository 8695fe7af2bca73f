"""Everything Qt: the desktop app. Nothing outside this package imports Qt."""
