"""The converters on the shared reference corpus (read in place, never copied)."""

from pathlib import Path

import pytest

from strata.contracts.blocks import BlockType
from strata.conversion.converters import convert_document
from tests.support.corpus import CORPUS

MD_FILES = sorted((CORPUS / "md").glob("*.md"))


def test_the_corpus_is_there() -> None:
    assert {p.name for p in MD_FILES} >= {"blocks.md", "mixed.md", "nested.md", "wiki.md"}


@pytest.mark.parametrize("path", MD_FILES, ids=lambda p: p.name)
def test_every_markdown_file_gives_clean_blocks(path: Path) -> None:
    converted = convert_document("md", path.read_bytes())
    assert converted.conversion_path == "markdown-it"
    assert converted.blocks
    for block in converted.blocks:
        assert block.text.strip()
        assert block.token_estimate > 0
        assert all(part.strip() for part in block.section_path)


def test_wiki_sections() -> None:
    blocks = convert_document("md", (CORPUS / "md" / "wiki.md").read_bytes()).blocks
    headings = [b.text for b in blocks if b.block_type is BlockType.HEADING]
    assert headings == ["IBM", "1910s\u20131950s", "1960s\u20131980s"]
    assert blocks[1].block_type is BlockType.PARAGRAPH
    assert blocks[1].section_path == ["IBM"]
    assert blocks[-1].section_path == ["IBM", "1960s\u20131980s"]
    assert blocks[-1].text.startswith("In 1961, IBM developed the SABRE")


def test_blocks_md_code_lists_and_setext_headings() -> None:
    blocks = convert_document("md", (CORPUS / "md" / "blocks.md").read_bytes()).blocks
    by_type = {t: [b.text for b in blocks if b.block_type is t] for t in BlockType}
    assert by_type[BlockType.LIST_ITEM] == ["foo", "bar"]
    assert by_type[BlockType.CODE] == ['print("Hi!")', 'print("Hello world!")']
    assert by_type[BlockType.HEADING] == [
        "my heading",
        "my setext heading level 1",
        "my setext heading level 2",
    ]
    code = next(b for b in blocks if b.text == 'print("Hello world!")')
    assert code.section_path == ["my setext heading level 1", "my setext heading level 2"]


def test_nested_md_list_items_in_document_order() -> None:
    blocks = convert_document("md", (CORPUS / "md" / "nested.md").read_bytes()).blocks
    items = [b.text for b in blocks if b.block_type is BlockType.LIST_ITEM]
    assert items[:6] == ["abc", "abc123", "abc1234", "abc12345", "a.", "b."]
    assert items[-1] == "changing symbol"
    assert all(b.section_path == ["Nesting"] for b in blocks[1:])
    # The HTML comment at the end is not content.
    assert not any("Nested Table" in b.text for b in blocks)


def test_mixed_md_html_becomes_plain_paragraphs() -> None:
    blocks = convert_document("md", (CORPUS / "md" / "mixed.md").read_bytes()).blocks
    texts = [b.text for b in blocks]
    assert "Some paragraph." in texts
    assert any(t.startswith("Character Name in German") and "Paperone" in t for t in texts)
    assert not any("<" in t for t in texts)


def test_wiki_txt_is_paragraphs_without_headings() -> None:
    converted = convert_document("txt", (CORPUS / "txt" / "wiki.txt").read_bytes())
    assert converted.conversion_path == "plaintext"
    types = {b.block_type for b in converted.blocks}
    assert types == {BlockType.PARAGRAPH}
    assert converted.blocks[0].text == "# IBM"
    assert all(b.section_path == [] for b in converted.blocks)
    assert len(converted.blocks) == 12
