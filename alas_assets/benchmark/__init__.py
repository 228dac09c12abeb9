"""`alas bench`: one run on a fresh state that measures what the loop learns, what it keeps, how fast it trains
and answers, and how it compares with simple baselines (closed book, retrieval, SFT on the raw documents)."""
