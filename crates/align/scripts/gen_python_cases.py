#!/usr/bin/env python3
"""Write tests/fixtures/python_cases.json: random token sequences and the
matching blocks and ratio that CPython's difflib.SequenceMatcher(None, a, b)
returns for them, random texts and their re.split(r'(\\W+)', text, flags=re.U),
and random page ends trimmed with the original Match's two regular expressions.

Runs unchanged under Python 2.7 and 3; the generator is a fixed LCG so both
produce the same inputs. Run from crates/align:
    python3 scripts/gen_python_cases.py > tests/fixtures/python_cases.json
    python2.7 scripts/gen_python_cases.py --blocks-only | cmp - <(python3 scripts/gen_python_cases.py --blocks-only)
    python2.7 scripts/gen_python_cases.py --trims-only | cmp - <(python3 scripts/gen_python_cases.py --trims-only)
"""
from __future__ import print_function

import difflib
import json
import re
import sys

SEED = 20240611


class Lcg(object):
    """Numerical Recipes LCG: the same numbers under every Python version."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def below(self, n):
        self.state = (self.state * 1664525 + 1013904223) & 0xFFFFFFFF
        return (self.state >> 8) % n


# Each token is one character so that a sequence is stored as a string.
ALPHABET = u"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def random_sequence(rng, length, alphabet_size, repeat_bias):
    tokens = []
    for _ in range(length):
        if rng.below(100) < repeat_bias:
            tokens.append(ALPHABET[rng.below(3)])
        else:
            tokens.append(ALPHABET[rng.below(alphabet_size)])
    return u"".join(tokens)


def mutate(rng, text, edits):
    """Copies text with random deletions, insertions and replacements."""
    chars = list(text)
    for _ in range(edits):
        if not chars:
            break
        position = rng.below(len(chars))
        kind = rng.below(3)
        if kind == 0:
            del chars[position]
        elif kind == 1:
            chars.insert(position, ALPHABET[rng.below(len(ALPHABET))])
        else:
            chars[position] = ALPHABET[rng.below(len(ALPHABET))]
    return u"".join(chars)


def block_cases(rng):
    cases = []
    sizes = [0, 1, 2, 5, 20, 60, 150, 199, 200, 201, 250, 400, 700]
    for index in range(240):
        len_b = sizes[index % len(sizes)] if index < 2 * len(sizes) else rng.below(720)
        alphabet_size = [2, 4, 12, 40, 62][rng.below(5)]
        repeat_bias = [0, 0, 30, 70][rng.below(4)]
        b = random_sequence(rng, len_b, alphabet_size, repeat_bias)
        if rng.below(4) == 0:
            a = random_sequence(rng, rng.below(len_b + 10), alphabet_size, repeat_bias)
        else:
            a = mutate(rng, b, rng.below(len_b // 4 + 2))
        matcher = difflib.SequenceMatcher(None, list(a), list(b))
        blocks = [list(block) for block in matcher.get_matching_blocks()]
        longest = []
        for _ in range(3):
            alo = rng.below(len(a) + 1)
            ahi = alo + rng.below(len(a) - alo + 1)
            blo = rng.below(len(b) + 1)
            bhi = blo + rng.below(len(b) - blo + 1)
            found = matcher.find_longest_match(alo, ahi, blo, bhi)
            longest.append([alo, ahi, blo, bhi, found[0], found[1], found[2]])
        cases.append({"a": a, "b": b, "blocks": blocks, "ratio": repr(matcher.ratio()), "longest": longest})
    return cases


# Characters for tokenizer inputs: ASCII, Latin letters, combining marks,
# digits and numbers of other scripts, CJK, symbols, spaces and controls.
TEXT_CHARS = (
    u"aZ9_ .,;:'\"-\n\t\r\u00e9\u00c9\u00df\u00aa\u00b2\u00bd\u00a0\u2019\u2014\u0301\u0308"
    u"\u0915\u093f\u0966\u0967\u4e00\u3007\u0660\u2160\u00b7\u02bc\u1680\u3000"
    u"\u05d0\u05b7\u0628\u064e\u0e01\u0e31\u2070\u2075\u00bc\u3001\u00ad\u200b\u200d"
)


def split_cases(rng):
    cases = []
    for _ in range(400):
        length = rng.below(40)
        text = u"".join(TEXT_CHARS[rng.below(len(TEXT_CHARS))] for _ in range(length))
        cases.append({"text": text, "split": re.split(u"(\\W+)", text, flags=re.U)})
    return cases


# The original ran under Python 2 without re.UNICODE, where \\w is [A-Za-z0-9_];
# Python 3 needs re.ASCII for the same class.
ASCII_FLAG = getattr(re, "ASCII", 0)
PARAGRAPH_START = re.compile(u"(?ms).*(\n\n.*)$", ASCII_FLAG)
ONE_WORD_LINE = re.compile(u"(?ms).*(\n\\w+\\W*)$", ASCII_FLAG)
CHUNK_PIECES = [u"\n", u"\n", u"\n\n", u" ", u" ", u"word", u"A", u"be", u"9", u"_", u".", u",",
                u"\u00e9t\u00e9", u"\u00c9", u"\u2019", u"<poem>", u"\t", u"\u00a0", u"x y", u"\u4e00"]


def trim_like_original(chunk):
    trimmed = chunk.rstrip()
    match = PARAGRAPH_START.match(trimmed)
    if match and len(match.group(1)) <= 16:
        return trimmed[:-len(match.group(1))]
    match = ONE_WORD_LINE.match(trimmed)
    if match:
        return trimmed[:-(len(match.group(1)) - 1)]
    return trimmed


def trim_cases(rng):
    cases = []
    for _ in range(600):
        pieces = rng.below(30)
        chunk = u"".join(CHUNK_PIECES[rng.below(len(CHUNK_PIECES))] for _ in range(pieces))
        cases.append({"chunk": chunk, "trimmed": trim_like_original(chunk)})
    return cases


def main():
    rng = Lcg(SEED)
    blocks = block_cases(rng)
    splits = split_cases(rng)
    trims = trim_cases(rng)
    if "--blocks-only" in sys.argv:
        print(json.dumps(blocks, sort_keys=True))
        return
    if "--trims-only" in sys.argv:
        print(json.dumps(trims, sort_keys=True))
        return
    document = {
        "generator": "scripts/gen_python_cases.py under Python " + sys.version.split()[0],
        "blocks": blocks,
        "splits": splits,
        "trims": trims,
    }
    print(json.dumps(document, ensure_ascii=False, sort_keys=True, indent=0))


if __name__ == "__main__":
    main()
