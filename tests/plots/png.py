"""Checking the PNG files that figures and commands write."""

from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path, max_bytes: int = 400_000) -> None:
    """``path`` is a PNG file of plausible size (a figure, not an empty canvas or a huge one)."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert 1_000 < len(data) < max_bytes, f"{path} has {len(data)} bytes"
