"""The command line: argument parsing and rendering only; the work happens elsewhere."""
