-- name: page_dead_letters
-- Dead letters, newest first, after a (received_at, id) cursor.
SELECT id, message_id, queue, routing_key, error_code, error, payload, headers, received_at
FROM dead_letters
WHERE ($1::timestamptz IS NULL OR (received_at, id) < ($1::timestamptz, $2::uuid))
  AND ($3::text IS NULL OR queue = $3)
ORDER BY received_at DESC, id DESC
LIMIT $4;
