"""The cost model, pure and shared: how blocks are packed, how the prompt is laid out, what a call
costs, and what a run will cost before it runs. The worker runs with it; the gateway estimates
with it; both therefore agree by construction."""
