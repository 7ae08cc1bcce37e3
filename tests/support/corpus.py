"""Where the shared corpus of real documents lives (read in place, never copied)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
