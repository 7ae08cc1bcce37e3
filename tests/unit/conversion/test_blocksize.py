"""Issue 14: no block is larger than the setting; long text is cut at sentences, then words."""

from strata.contracts.blocks import BlockDraft, BlockType
from strata.conversion.blocksize import bound_blocks, split_text
from strata.conversion.converters import convert_document
from strata.conversion.limits import Limits
from strata.planning.tokens import estimate_tokens


def test_a_huge_one_line_txt_becomes_many_bounded_blocks() -> None:
    sentence = "The quick brown fox jumps over the lazy dog. "
    data = (sentence * 20_000).encode()  # ~900 KB on one line
    blocks = convert_document("txt", data, Limits(max_block_tokens=1000)).blocks
    assert len(blocks) > 200
    assert all(b.token_estimate <= 1000 for b in blocks)
    assert all(b.text.endswith("dog.") for b in blocks)  # cut at sentence ends
    assert " ".join(b.text for b in blocks) == data.decode().strip()


def test_a_sentence_too_long_is_cut_at_words_and_a_word_anywhere() -> None:
    words = " ".join(f"w{i}" for i in range(3000))
    pieces = split_text(words, max_bytes=400)
    assert all(len(p.encode()) <= 400 for p in pieces)
    assert " ".join(pieces).split() == words.split()
    blob = "\u00e9" * 1000  # 2 bytes a character: never cut inside one
    cut = split_text(blob, max_bytes=301)
    assert "".join(cut) == blob and all(len(p.encode()) <= 301 for p in cut)


def test_code_is_cut_at_line_ends_and_tables_are_left_alone() -> None:
    code = "\n".join(f"line_{i} = {i}" for i in range(500))
    table = BlockDraft(block_type=BlockType.TABLE, text="| a |\n" * 900, token_estimate=2000)
    out = bound_blocks(
        [BlockDraft(block_type=BlockType.CODE, text=code, token_estimate=estimate_tokens(code)),
         table],
        max_tokens=200,
    )  # fmt: skip
    pieces = [b for b in out if b.block_type is BlockType.CODE]
    assert len(pieces) > 1 and all(p.text.startswith("line_") for p in pieces)
    assert "".join(p.text for p in pieces) == code
    assert out[-1] is table
