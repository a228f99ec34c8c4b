"""The report pack: the standard tables a county sends up, as xlsx and as a PDF with charts."""
