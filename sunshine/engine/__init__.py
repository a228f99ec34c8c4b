"""Django-free batch engine: the rules as SQL over Arrow/Parquet snapshots of the registry.

Nothing here imports Django (a test checks it): the apps extract snapshots and call in. SQL is generated
by pure functions (``sunshine.engine.assessment``) and run by a thin backend class
(``sunshine.engine.backend``); what differs between SQL dialects is kept in ``sunshine.engine.dialect``."""
