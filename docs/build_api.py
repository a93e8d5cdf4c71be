"""Write the API reference of pyrovae, generated from its docstrings, into docs/api/ (HTML).

    pip install -e ".[docs]" && python docs/build_api.py [OUT_DIR]
"""

from __future__ import annotations

import pkgutil
import sys
import warnings
from pathlib import Path

import pdoc


REPO = Path(__file__).resolve().parents[1]


def modules() -> list[str]:
    """Every module of the package. Listed explicitly: pdoc follows ``__all__``, which names the
    public classes of a subpackage, not its modules."""
    sys.path.insert(0, str(REPO))
    import pyrovae

    return ["pyrovae"] + sorted(m.name for m in pkgutil.walk_packages(pyrovae.__path__, "pyrovae."))


def build(out_dir: Path) -> list[Path]:
    pdoc.render.configure(docformat="google", math=True, search=False)
    with warnings.catch_warnings():
        # pdoc also reaches most modules through their packages and says so once per module.
        warnings.filterwarnings("ignore", message="The module specification")
        pdoc.pdoc(*modules(), output_directory=out_dir)
    return sorted(out_dir.rglob("*.html"))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "api"
    pages = build(out)
    print(f"wrote {len(pages)} pages to {out}")
