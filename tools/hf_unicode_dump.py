#!/usr/bin/env python3
"""Dumps, for every Unicode scalar value, what the Hugging Face `tokenizers` BERT pipeline does to it
stage by stage, so tests/test-tokenizer-unicode.c can compare our utf8proc-based stages with it.

Output (one line per code point whose behaviour is not the identity; hex code points, '-' = empty):
  CP CLEAN NFD STRIP LOWER PIECES CJK CCC
CLEAN: result of clean_text alone; NFD: result of NFD; STRIP: NFD then dropping nonspacing marks;
LOWER: the lowercase normalizer; PIECES: how many words BertPreTokenizer makes of "a<cp>a"
(1 plain, 2 whitespace, 3 punctuation); CJK: 1 when handle_chinese_chars pads it with spaces;
CCC: its canonical combining class as NFD's reordering reveals it.
Usage: python tools/hf_unicode_dump.py > hf_unicode.txt   (needs the `tokenizers` package)
"""
import sys

from tokenizers import normalizers, pre_tokenizers

clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                   strip_accents=False, lowercase=False)
cjk = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True,
                                 strip_accents=False, lowercase=False)
strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                   strip_accents=True, lowercase=False)
nfd = normalizers.NFD()
lower = normalizers.Lowercase()
pre = pre_tokenizers.BertPreTokenizer()


# One mark for each canonical combining class (found with Python's unicodedata), used as probes:
# NFD puts mark X before a preceding probe P exactly when ccc(P) > ccc(X) > 0.
def ccc_probes():
    import unicodedata
    probes = {}
    for cp in range(0x110000):
        v = unicodedata.combining(chr(cp))
        c = chr(cp)
        # the probe must be a mark the tokenizers library itself knows (its tables are older)
        if v and v < 240 and v not in probes and nfd.normalize_str(c) == c \
                and nfd.normalize_str("\u0345" + c) != "\u0345" + c:
            probes[v] = c
    return sorted(probes.items())


PROBES = ccc_probes()


def combining_class(c):
    top = "\u0345"  # ccc 240, the largest
    if nfd.normalize_str(top + c) == top + c:
        return 240 if c == top else 0
    cls = 0
    for v, p in PROBES:
        if nfd.normalize_str(p + c) == p + c:
            cls = v
        else:
            break
    return cls


def hexs(s):
    return ",".join("%X" % ord(ch) for ch in s) if s else "-"


def main():
    out = sys.stdout
    out.write("# tokenizers %s\n" % __import__("tokenizers").__version__)
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        r_clean = clean.normalize_str(c)
        r_nfd = nfd.normalize_str(c)
        r_strip = strip.normalize_str(c)
        r_lower = lower.normalize_str(c)
        pieces = len(pre.pre_tokenize_str("a" + c + "a"))
        r_cjk = 1 if cjk.normalize_str(c) != c else 0
        r_ccc = combining_class(c) if len(r_nfd) == 1 and r_nfd == c else 0
        if r_clean == c and r_nfd == c and r_strip == c and r_lower == c and pieces == 1 \
                and not r_cjk and not r_ccc:
            continue
        out.write("%X %s %s %s %s %d %d %d\n" % (cp, hexs(r_clean), hexs(r_nfd), hexs(r_strip),
                                                hexs(r_lower), pieces, r_cjk, r_ccc))


if __name__ == "__main__":
    main()
