"""The embedded DuckDB's read side: opening it, its tables and what dlt recorded, SQL with bound
parameters, and dropping tables.

``connection`` opens the database (read-only by default) with the datasets on the search path;
``catalog`` lists tables, schemas and the database summary ``mp info`` shows; ``loadinfo`` reads
each pipeline's loads and cursors from dlt's own ``_dlt_loads`` and state; ``sqlparams`` binds
``$name`` parameters; ``drop`` removes tables through dlt so cursors go with them.
"""
