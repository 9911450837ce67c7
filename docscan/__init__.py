"""docscan: a document scanner for the command line."""

__version__ = "0.1.0"
