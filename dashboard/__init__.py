"""`anet runs serve`: a browser dashboard of search runs, live while `anet evolve` appends to them.

    tail.py       the journal read incrementally: complete lines only, damaged ones reported
    run_view.py   one run: its SearchState kept up to date from the new events, its events by offset
    payloads.py   what the API sends (summary, table, curves, a candidate's page), from the state
    drawings.py   the renderer's figures (a candidate, the lineage) as SVG, in memory
    app.py        the Starlette application: the page under static/ and the JSON API

Read-only by construction: nothing writes into a run directory or takes its lock (`anet.lock`), so a
dashboard can watch a search that is running.
"""
