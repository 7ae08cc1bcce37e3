-- Cost (issue 16): how each call asked the model to write the blocks' answers: `full` (an
-- object with every key), `sparse` (an object without null and default values) or `rows` (the
-- values in a field order the prompt states, no keys). Calls made before this column existed
-- asked for objects; `full` is the closest truth for them.
ALTER TABLE llm_calls
    ADD COLUMN answer_form text NOT NULL DEFAULT 'full'
        CHECK (answer_form IN ('full', 'sparse', 'rows'));
