"""Write the API reference of pyrovae, generated from its docstrings, into docs/api/ (HTML).

    pip install -e ".[docs]" && python docs/build_api.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pdoc


def build(out_dir: Path) -> list[Path]:
    pdoc.render.configure(docformat="google", math=True, search=False)
    pdoc.pdoc("pyrovae", output_directory=out_dir)
    return sorted(out_dir.rglob("*.html"))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "api"
    pages = build(out)
    print(f"wrote {len(pages)} pages to {out}")
