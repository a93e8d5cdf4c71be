"""Build pyrovae's bundled corpus from the extracted novels: sentences, lowercased, PTB-like tokens.

Usage: python tools/build_austen_corpus.py NOVELS_DIR pyrovae/data/corpora
"""

import random
import re
import sys
from pathlib import Path

BOOKS = ("prideprejudice", "persuasion")
HEADINGS = re.compile(r"^(chapter|by jane austen|pride and prejudice|persuasion|volume|finis)", re.I)
SENTENCE_END = re.compile(r'(?<=[.!?])["\']?\s+(?=["\']?[A-Z])')


def tokenise(sentence: str) -> list[str]:
    s = sentence.lower()
    s = re.sub(r"\b(mr|mrs|dr|st)\.", r"\1", s)
    s = re.sub(r'["“”]', " ", s)
    s = re.sub(r"([.,!?;:()])", r" \1 ", s)
    s = re.sub(r"'s\b", " 's", s)
    s = re.sub(r"n't\b", " n't", s)
    s = re.sub(r"(^|\s)'|'(\s|$)", " ", s)
    return s.split()


def sentences(text: str):
    for paragraph in (" ".join(p.split()) for p in re.split(r"\n\s*\n", text)):
        if not paragraph or HEADINGS.match(paragraph) or paragraph.isupper():
            continue
        paragraph = paragraph.replace("_", "").replace("--", " -- ")
        for sentence in SENTENCE_END.split(paragraph):
            tokens = tokenise(sentence)
            if 4 <= len(tokens) <= 30:
                yield " ".join(tokens)


def main(novels_dir: str, out_dir: str) -> None:
    corpus = [s for book in BOOKS for s in sentences((Path(novels_dir) / f"{book}.txt").read_text())]
    random.Random(0).shuffle(corpus)
    parts = {"test": corpus[:400], "valid": corpus[400:800], "train": corpus[800:4800]}
    for name, part in parts.items():
        (Path(out_dir) / f"austen.{name}.txt").write_text("\n".join(part) + "\n")
        print(name, len(part), "sentences", sum(len(s.split()) for s in part), "words")


if __name__ == "__main__":
    main(*sys.argv[1:3])
