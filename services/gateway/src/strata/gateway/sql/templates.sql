-- The template gallery: global templates (account_id NULL) and each account's own.

-- name: list_templates
-- Global templates and the caller's own, optionally of one category.
SELECT * FROM templates
WHERE (account_id IS NULL OR account_id = $1) AND ($2::text IS NULL OR category = $2)
ORDER BY category, name, account_id NULLS FIRST;

-- name: template_by_slug
-- The caller's own template of this slug, else the global one.
SELECT * FROM templates
WHERE slug = $2 AND (account_id IS NULL OR account_id = $1)
ORDER BY account_id NULLS LAST LIMIT 1;

-- name: insert_template
-- A new template; nothing when its slug is taken in its scope (global or the account's).
INSERT INTO templates
    (id, account_id, slug, name, category, description, example_output, parameters, body, builtin)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: update_template
-- Replace a template's content (global when $1 is NULL, else the account's own).
UPDATE templates
SET name = $3, category = $4, description = $5, example_output = $6, parameters = $7, body = $8,
    updated_at = now()
WHERE slug = $2 AND account_id IS NOT DISTINCT FROM $1
RETURNING *;

-- name: delete_template
-- Remove a template (global when $1 is NULL, else the account's own); versions keep their copy.
DELETE FROM templates WHERE slug = $2 AND account_id IS NOT DISTINCT FROM $1 RETURNING id;
