"""`anet runs serve`: a browser dashboard of search runs, live while `anet evolve` appends to them.

Read-only by construction: each run's journal is followed incrementally (`tail`), replayed into the
search's own state (`run_view`), turned into the API's JSON (`payloads`) and drawings made by the
renderer (`drawings`), and served by a Starlette application (`app`) with the single page under
`static/`. Nothing writes into a run directory or takes its lock.
"""
