"""Benefits statements (政策到户明白册, services.md §2): the data of a household's year, assembled for a whole
village at once (data.py), its query code (codes.py), the PDF (pdf.py: the HTML; weasy.py: the layout, free of
Django, in worker processes) and the public self-query (selfquery.py)."""
