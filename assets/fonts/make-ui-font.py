#!/usr/bin/env python3
r"""Make the UI font subsets NotoSansCJKsc-{Regular,Bold}.subset.otf from Debian's Noto Sans CJK.

How to run (from anywhere; Debian 12, as root for the installs):

    apt-get install -y fonts-noto-cjk        # NotoSansCJK-{Regular,Bold}.ttc
    pip install fonttools                    # TTCollection and pyftsubset (fontTools.subset)
    python3 assets/fonts/make-ui-font.py     # writes assets/fonts/NotoSansCJKsc-*.subset.otf

Options: --charset gb2312 keeps only the GB2312 double-byte range instead of GBK (smaller files);
--work DIR sets the scratch folder (default /tmp/assets-work/font); --ttc-dir DIR the folder
holding the two .ttc files (default /usr/share/fonts/opentype/noto).

What it does:
 1. takes the face whose family name (nameID 1) is "Noto Sans CJK SC" out of each .ttc and saves
    it as a plain OTF in the scratch folder;
 2. writes the code points to keep into <work>/ui-codepoints.txt: ASCII, Latin-1, General
    Punctuation, arrows, geometric shapes, CJK Symbols and Punctuation, Halfwidth and Fullwidth
    Forms and a few UI symbols; every character that GBK (or GB2312) decodes from its double-byte
    range; every character >= U+0080 in the repository's *.slint, *.rs, *.po, *.pot, *.toml,
    *.sql and *.md files (`git ls-files`), so rare name characters used by the samples are kept;
 3. runs, once per weight,
        python3 -m fontTools.subset <work>/NotoSansCJKsc-<Weight>.otf \
            --unicodes-file=<work>/ui-codepoints.txt --layout-features='*' --no-hinting \
            --layout-scripts=DFLT,cyrl.dflt,cyrl.ZHS,grek.dflt,grek.ZHS,hang.dflt,hang.ZHS,\
hani.dflt,hani.ZHS,kana.dflt,kana.ZHS,latn.dflt,latn.ZHS \
            --name-IDs='*' --name-languages='*' \
            --output-file=assets/fonts/NotoSansCJKsc-<Weight>.subset.otf
    (`pyftsubset` is the same program). --layout-scripts keeps every feature but only the
    default and Simplified Chinese (ZHS) language systems: the JAN, KOR, ZHT and ZHH 'locl'
    forms (Japanese, Korean and Traditional glyph shapes) would nearly double the glyph count
    (40,547 glyphs, 18.8 MB for the two files, instead of about 22,900 and 10.6 MB); a shaper
    asked for one of those languages falls back to the script's default (SC) forms;
 4. checks each result's family name and usWeightClass and prints glyph counts and sizes.
The result is the same for the same Debian package and fontTools version.
"""

import argparse
import os
import subprocess
import sys

from fontTools.ttLib import TTCollection, TTFont

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
FAMILY = "Noto Sans CJK SC"
WEIGHTS = {"Regular": 400, "Bold": 700}
# Every script the font has, with its default and its Simplified Chinese language system only.
LAYOUT_SCRIPTS = "DFLT," + ",".join(f"{s}.dflt,{s}.ZHS"
                                    for s in ("cyrl", "grek", "hang", "hani", "kana", "latn"))
REPO_TEXT_EXTS = (".slint", ".rs", ".po", ".pot", ".toml", ".sql", ".md")

BLOCKS = [
    (0x20, 0x7E),      # ASCII
    (0xA0, 0xFF),      # Latin-1 Supplement
    (0x2000, 0x206F),  # General Punctuation
    (0x2190, 0x21FF),  # Arrows
    (0x25A0, 0x25FF),  # Geometric Shapes
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
]
UI_SYMBOLS = "·•×÷✓✔✕✗№℃①②③④⑤⑥⑦⑧⑨⑩◀▶▲▼●○■□★☆¥€–—"


def double_byte_range(codec):
    """Every code point that `codec` decodes from lead 0x81-0xFE, trail 0x40-0xFE (not 0x7F)."""
    out = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                text = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            out.update(ord(c) for c in text)
    return out


def repo_characters():
    files = subprocess.run(["git", "-C", REPO, "ls-files"], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    out = set()
    for name in files:
        if not name.endswith(REPO_TEXT_EXTS):
            continue
        path = os.path.join(REPO, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="ignore") as f:
            out.update(ord(c) for c in f.read() if ord(c) >= 0x80)
    return out


def codepoints(charset):
    cps = set()
    for lo, hi in BLOCKS:
        cps.update(range(lo, hi + 1))
    cps.update(ord(c) for c in UI_SYMBOLS)
    cps |= double_byte_range(charset)
    cps |= repo_characters()
    return cps


def extract_sc(ttc_path, out_path):
    coll = TTCollection(ttc_path, lazy=True, recalcTimestamp=False)  # keep head.modified: same bytes on every run
    for font in coll.fonts:
        if font["name"].getDebugName(1) == FAMILY:
            font.save(out_path)
            return
    sys.exit(f"no face named {FAMILY!r} in {ttc_path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--charset", choices=["gbk", "gb2312"], default="gbk")
    ap.add_argument("--work", default="/tmp/assets-work/font")
    ap.add_argument("--ttc-dir", default="/usr/share/fonts/opentype/noto")
    ap.add_argument("--out-dir", default=HERE)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out_dir, exist_ok=True)

    cps = codepoints(args.charset)
    cp_file = os.path.join(args.work, "ui-codepoints.txt")
    with open(cp_file, "w") as f:
        f.write(f"# {len(cps)} code points for the UI font ({args.charset})\n")
        f.writelines(f"U+{c:04X}\n" for c in sorted(cps))
    print(f"{len(cps)} code points -> {cp_file}")

    total = 0
    for weight, wclass in WEIGHTS.items():
        src = os.path.join(args.work, f"NotoSansCJKsc-{weight}.otf")
        extract_sc(os.path.join(args.ttc_dir, f"NotoSansCJK-{weight}.ttc"), src)
        dst = os.path.join(args.out_dir, f"NotoSansCJKsc-{weight}.subset.otf")
        cmd = [sys.executable, "-m", "fontTools.subset", src, f"--unicodes-file={cp_file}",
               "--layout-features=*", "--no-hinting",
               f"--layout-scripts={LAYOUT_SCRIPTS}", "--name-IDs=*", "--name-languages=*",
               f"--output-file={dst}"]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)

        font = TTFont(dst)
        name = font["name"]
        family = name.getDebugName(16) or name.getDebugName(1)
        got = font["OS/2"].usWeightClass
        if family != FAMILY or got != wclass:
            sys.exit(f"{dst}: family {family!r}, usWeightClass {got}; wanted {FAMILY!r}, {wclass}")
        cmap = font.getBestCmap()
        missing = sorted(c for c in cps if c not in cmap)
        size = os.path.getsize(dst)
        total += size
        print(f"{dst}: {family} {name.getDebugName(2)}, usWeightClass {got}, "
              f"{font['maxp'].numGlyphs} glyphs, {len(cmap)} mapped code points, {size} bytes; "
              f"{len(missing)} requested code points not in the font")
        font.close()
    print(f"total {total} bytes ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
