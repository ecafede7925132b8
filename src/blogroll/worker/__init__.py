"""The feed worker: claims due blogs, fetches their feeds politely and safely, and stores new entries.

`fetch` talks HTTP, `parse` turns a feed into entries, `store` writes what the fetches brought back,
`claim` hands each due blog to exactly one worker, and `runner` schedules: claims, starts fetches,
hands their results to the store, and stops cleanly.
"""
