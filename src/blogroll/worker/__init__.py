"""The feed worker: claims due blogs, fetches their feeds politely and safely, and stores new entries.

`fetch` talks HTTP, `parse` turns a feed into entries, `store` writes one blog's result in one
transaction, `claim` hands each due blog to exactly one worker, and `runner` ties them together.
"""
