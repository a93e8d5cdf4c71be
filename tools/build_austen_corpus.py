"""Build the bundled Austen corpus: sentence-split, lowercase, PTB-like tokens."""
import re, random
books = ["prideprejudice", "persuasion"]
sents = []
for b in books:
    text = open(f"{b}.txt").read()
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    for p in paras:
        if not p or re.match(r"^(chapter|by jane austen|pride and prejudice|persuasion|volume|finis)", p, re.I) or p.isupper():
            continue
        p = p.replace("_", "").replace("--", " -- ")
        for s in re.split(r'(?<=[.!?])["\']?\s+(?=["\']?[A-Z])', p):
            s = s.lower()
            s = re.sub(r"\b(mr|mrs|dr|st)\.", r"\1", s)
            s = re.sub(r'["“”]', " ", s)
            s = re.sub(r"([.,!?;:()])", r" \1 ", s)
            s = re.sub(r"'s\b", " 's", s)
            s = re.sub(r"n't\b", " n't", s)
            s = re.sub(r"(^|\s)'|'(\s|$)", " ", s)
            toks = s.split()
            if 4 <= len(toks) <= 30:
                sents.append(" ".join(toks))
random.Random(0).shuffle(sents)
print(len(sents))
test, valid, train = sents[:400], sents[400:800], sents[800:4800]
for name, part in [("train", train), ("valid", valid), ("test", test)]:
    open(f"/work/main/pyrovae/data/corpora/austen.{name}.txt", "w").write("\n".join(part) + "\n")
    print(name, len(part), sum(len(s.split()) for s in part))
