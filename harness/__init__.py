"""mmbench's harness: the Python behind ./mmbench (build, run, test, list, tables)."""
