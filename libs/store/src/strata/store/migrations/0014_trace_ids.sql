-- One trace per block (issue 15): the way from a block to every span that touched it.
-- documents.trace_context: the W3C traceparent of the span that converted the document (a child
-- of its upload's trace); each pack span links to it. overlays.trace_id/span_id: the pack span
-- that last settled the block; the rollup's recount and the export's batch spans reach it.
ALTER TABLE documents ADD COLUMN trace_context text;
ALTER TABLE overlays
    ADD COLUMN trace_id text,
    ADD COLUMN span_id text;
