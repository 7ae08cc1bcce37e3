-- Exports of a run, of one document of a run, or of a whole project for one schema; in JSONL,
-- CSV, XLSX or Markdown; carrying confirmed, staged or merged values.
ALTER TABLE exports ADD COLUMN project_id uuid REFERENCES projects (id) ON DELETE CASCADE;
ALTER TABLE exports ALTER COLUMN run_id DROP NOT NULL;
ALTER TABLE exports ADD COLUMN scope text NOT NULL DEFAULT 'run'
    CHECK (scope IN ('run', 'document', 'project'));
ALTER TABLE exports ADD COLUMN content text NOT NULL DEFAULT 'confirmed'
    CHECK (content IN ('confirmed', 'staged', 'merged'));
ALTER TABLE exports ADD COLUMN document_id uuid REFERENCES documents (id) ON DELETE CASCADE;
ALTER TABLE exports ADD COLUMN schema_id uuid REFERENCES schemas (id) ON DELETE CASCADE;
UPDATE exports e SET project_id = r.project_id, schema_id = r.schema_id FROM runs r WHERE r.id = e.run_id;
ALTER TABLE exports ALTER COLUMN project_id SET NOT NULL;
ALTER TABLE exports DROP CONSTRAINT exports_format_check;
ALTER TABLE exports ADD CONSTRAINT exports_format_check
    CHECK (format IN ('jsonl', 'csv', 'xlsx', 'md'));
-- What each scope needs, and nothing else.
ALTER TABLE exports ADD CONSTRAINT exports_scope_fields_check CHECK (
    (scope = 'run' AND run_id IS NOT NULL AND document_id IS NULL)
    OR (scope = 'document' AND run_id IS NOT NULL AND document_id IS NOT NULL)
    OR (scope = 'project' AND run_id IS NULL AND schema_id IS NOT NULL)
);
CREATE INDEX exports_run_idx ON exports (run_id, created_at) WHERE run_id IS NOT NULL;
CREATE INDEX exports_project_idx ON exports (project_id, created_at);
-- Review flags (the review half adds the same column with the same definition).
ALTER TABLE overlays ADD COLUMN IF NOT EXISTS flags text[] NOT NULL DEFAULT '{}';
