-- Issue 14: list items keep their nesting level; OCR'd blocks keep a confidence and the box of
-- each text line they were read from. All optional: other formats leave them NULL.
ALTER TABLE blocks
    ADD COLUMN list_level smallint,
    ADD COLUMN ocr_confidence real,
    ADD COLUMN line_boxes jsonb;
