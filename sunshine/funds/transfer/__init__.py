"""Import and export of the files of funds.md §1."""
