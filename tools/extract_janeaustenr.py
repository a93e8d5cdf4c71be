"""Extract Jane Austen's novels from Debian's r-cran-janeaustenr package as plain text files.

Usage (needs `pip install rdata`):
    apt-get download r-cran-janeaustenr && dpkg-deb -x r-cran-janeaustenr_*.deb x
    python tools/extract_janeaustenr.py x/usr/lib/R/site-library/janeaustenr/data OUT_DIR

R stores package data in a lazy-load database: ``Rdata.rdx`` (a gzip'ed serialised index of
offsets) and ``Rdata.rdb`` (zlib-compressed serialised objects, each behind a 4-byte length).
"""

import gzip
import sys
import zlib
from pathlib import Path

import rdata


def main(data_dir: str, out_dir: str) -> None:
    data, out = Path(data_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress((data / "Rdata.rdx").read_bytes())))
    database = (data / "Rdata.rdb").read_bytes()
    for name, (offset, length) in index["variables"].items():
        chunk = database[int(offset) : int(offset) + int(length)]
        lines = rdata.conversion.convert(rdata.parser.parse_data(zlib.decompress(chunk[4:])))
        (out / f"{name}.txt").write_text("\n".join(str(line) for line in lines))
        print(name, len(lines), "lines")


if __name__ == "__main__":
    main(*sys.argv[1:3])
