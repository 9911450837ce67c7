"""Render the sample pages in this folder and their ground truth.

Run from the repository root:  python -m tests.data.generate   (or python tests/data/generate.py)

Every page is rendered at 300 dpi from public-domain text with the DejaVu fonts. For each
page `<name>.png` / `<name>.jpg` there is `<name>.txt` holding exactly the rendered lines, one
per line, in reading order. The output is deterministic for a given Pillow/NumPy version.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
DPI = 300
LETTER = (2550, 3300)  # 8.5 x 11 in
A4 = (2480, 3508)  # 210 x 297 mm
MARGIN = 300  # 1 inch

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), HERE.parents[1] / "docscan/pdf/fonts"]


def font(name: str, points: float) -> ImageFont.FreeTypeFont:
    size = round(points * DPI / 72)
    for folder in FONT_DIRS:
        path = folder / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    sys.exit(f"font {name} not found in {', '.join(map(str, FONT_DIRS))}")


# --- texts (all public domain) ---------------------------------------------------------

DECLARATION = [
    "IN CONGRESS, July 4, 1776.",
    "The unanimous Declaration of the thirteen united States of America,",
    "When in the Course of human events, it becomes necessary for one people to dissolve the "
    "political bands which have connected them with another, and to assume among the powers "
    "of the earth, the separate and equal station to which the Laws of Nature and of Nature's "
    "God entitle them, a decent respect to the opinions of mankind requires that they should "
    "declare the causes which impel them to the separation.",
    "We hold these truths to be self-evident, that all men are created equal, that they are "
    "endowed by their Creator with certain unalienable Rights, that among these are Life, "
    "Liberty and the pursuit of Happiness. That to secure these rights, Governments are "
    "instituted among Men, deriving their just powers from the consent of the governed, "
    "That whenever any Form of Government becomes destructive of these ends, it is the Right "
    "of the People to alter or to abolish it, and to institute new Government, laying its "
    "foundation on such principles and organizing its powers in such form, as to them shall "
    "seem most likely to effect their Safety and Happiness. Prudence, indeed, will dictate "
    "that Governments long established should not be changed for light and transient causes; "
    "and accordingly all experience hath shewn, that mankind are more disposed to suffer, "
    "while evils are sufferable, than to right themselves by abolishing the forms to which "
    "they are accustomed. But when a long train of abuses and usurpations, pursuing "
    "invariably the same Object evinces a design to reduce them under absolute Despotism, it "
    "is their right, it is their duty, to throw off such Government, and to provide new "
    "Guards for their future security. Such has been the patient sufferance of these "
    "Colonies; and such is now the necessity which constrains them to alter their former "
    "Systems of Government. The history of the present King of Great Britain is a history of "
    "repeated injuries and usurpations, all having in direct object the establishment of an "
    "absolute Tyranny over these States. To prove this, let Facts be submitted to a candid "
    "world.",
]

GETTYSBURG = [
    "Address delivered at the dedication of the Cemetery at Gettysburg.",
    "Four score and seven years ago our fathers brought forth on this continent, a new "
    "nation, conceived in Liberty, and dedicated to the proposition that all men are created "
    "equal.",
    "Now we are engaged in a great civil war, testing whether that nation, or any nation so "
    "conceived and so dedicated, can long endure. We are met on a great battle-field of that "
    "war. We have come to dedicate a portion of that field, as a final resting place for "
    "those who here gave their lives that that nation might live. It is altogether fitting "
    "and proper that we should do this.",
    "But, in a larger sense, we can not dedicate, we can not consecrate, we can not hallow, "
    "this ground. The brave men, living and dead, who struggled here, have consecrated it, "
    "far above our poor power to add or detract. The world will little note, nor long "
    "remember what we say here, but it can never forget what they did here. It is for us the "
    "living, rather, to be dedicated here to the unfinished work which they who fought here "
    "have thus far so nobly advanced. It is rather for us to be here dedicated to the great "
    "task remaining before us, that from these honored dead we take increased devotion to "
    "that cause for which they gave the last full measure of devotion, that we here highly "
    "resolve that these dead shall not have died in vain, that this nation, under God, shall "
    "have a new birth of freedom, and that government of the people, by the people, for the "
    "people, shall not perish from the earth.",
    "Abraham Lincoln, November 19, 1863.",
]

MOBY_DICK = [
    "CHAPTER 1. Loomings.",
    "Call me Ishmael. Some years ago, never mind how long precisely, having little or no "
    "money in my purse, and nothing particular to interest me on shore, I thought I would "
    "sail about a little and see the watery part of the world. It is a way I have of driving "
    "off the spleen and regulating the circulation. Whenever I find myself growing grim about "
    "the mouth; whenever it is a damp, drizzly November in my soul; whenever I find myself "
    "involuntarily pausing before coffin warehouses, and bringing up the rear of every "
    "funeral I meet; and especially whenever my hypos get such an upper hand of me, that it "
    "requires a strong moral principle to prevent me from deliberately stepping into the "
    "street, and methodically knocking people's hats off, then, I account it high time to "
    "get to sea as soon as I can. This is my substitute for pistol and ball. With a "
    "philosophical flourish Cato throws himself upon his sword; I quietly take to the ship. "
    "There is nothing surprising in this. If they but knew it, almost all men in their "
    "degree, some time or other, cherish very nearly the same feelings towards the ocean "
    "with me.",
    "There now is your insular city of the Manhattoes, belted round by wharves as Indian "
    "isles by coral reefs; commerce surrounds it with her surf. Right and left, the streets "
    "take you waterward. Its extreme downtown is the battery, where that noble mole is "
    "washed by waves, and cooled by breezes, which a few hours previous were out of sight of "
    "land. Look at the crowds of water-gazers there.",
]

PRIDE_TITLE = "PRIDE AND PREJUDICE, Chapter 1"
PRIDE = [
    "It is a truth universally acknowledged, that a single man in possession of a good "
    "fortune, must be in want of a wife.",
    "However little known the feelings or views of such a man may be on his first entering "
    "a neighbourhood, this truth is so well fixed in the minds of the surrounding families, "
    "that he is considered the rightful property of some one or other of their daughters.",
    '"My dear Mr. Bennet," said his lady to him one day, "have you heard that Netherfield '
    'Park is let at last?"',
    "Mr. Bennet replied that he had not.",
    '"But it is," returned she; "for Mrs. Long has just been here, and she told me all about it."',
    "Mr. Bennet made no answer.",
    '"Do you not want to know who has taken it?" cried his wife impatiently.',
    '"You want to tell me, and I have no objection to hearing it."',
    "This was invitation enough.",
    '"Why, my dear, you must know, Mrs. Long says that Netherfield is taken by a young man '
    "of large fortune from the north of England; that he came down on Monday in a chaise "
    "and four to see the place, and was so much delighted with it, that he agreed with "
    "Mr. Morris immediately; that he is to take possession before Michaelmas, and some of "
    'his servants are to be in the house by the end of next week."',
    '"What is his name?"',
    '"Bingley."',
    '"Is he married or single?"',
    '"Oh! Single, my dear, to be sure! A single man of large fortune; four or five thousand '
    'a year. What a fine thing for our girls!"',
    '"How so? How can it affect them?"',
    '"My dear Mr. Bennet," replied his wife, "how can you be so tiresome! You must know that '
    'I am thinking of his marrying one of them."',
    '"Is that his design in settling here?"',
    '"Design! Nonsense, how can you talk so! But it is very likely that he may fall in love '
    'with one of them, and therefore you must visit him as soon as he comes."',
]

SECOND_INAUGURAL = [
    "From the Second Inaugural Address, March 4, 1865.",
    "Fondly do we hope, fervently do we pray, that this mighty scourge of war may speedily "
    "pass away. Yet, if God wills that it continue until all the wealth piled by the "
    "bondsman's two hundred and fifty years of unrequited toil shall be sunk, and until every "
    "drop of blood drawn with the lash shall be paid by another drawn with the sword, as was "
    "said three thousand years ago, so still it must be said, the judgments of the Lord are "
    "true and righteous altogether.",
    "With malice toward none, with charity for all, with firmness in the right as God gives "
    "us to see the right, let us strive on to finish the work we are in, to bind up the "
    "nation's wounds, to care for him who shall have borne the battle and for his widow and "
    "his orphan, to do all which may achieve and cherish a just and lasting peace among "
    "ourselves and with all nations.",
]

UNICODE_TITLE = "Quotations \u2014 Zitate \u2014 Citations"
UNICODE = [
    "\u201cIt was the best of times, it was the worst of times, it was the age of wisdom, "
    "it was the age of foolishness\u2026\u201d \u2014 Charles Dickens, 1859.",
    "\u201cIt is a truth universally acknowledged,\u201d wrote Miss Austen \u2014 "
    "and she didn\u2019t mean it \u2018entirely\u2019 in earnest.",
    "\u201eDa\u00df ich erkenne, was die Welt im Innersten zusammenh\u00e4lt.\u201c "
    "\u2014 Goethe, Faust (1808).",
    "Wer reitet so sp\u00e4t durch Nacht und Wind? Es ist der Vater mit seinem Kind. "
    "\u2014 Goethe, Erlk\u00f6nig.",
    "\u00ab Cela est bien dit, r\u00e9pondit Candide, mais il faut cultiver notre "
    "jardin. \u00bb \u2014 Voltaire, 1759.",
    "Le c\u0153ur a ses raisons que la raison ne conna\u00eet point. \u2014 Pascal, Pens\u00e9es.",
    "En un lugar de la Mancha, de cuyo nombre no quiero acordarme\u2026 \u2014 Cervantes.",
    "Greek: \u03b3\u03bd\u1ff6\u03b8\u03b9 \u03c3\u03b5\u03b1\u03c5\u03c4\u03cc\u03bd "
    "(know thyself); \u1f10\u03bd \u1f00\u03c1\u03c7\u1fc7 \u1f26\u03bd \u1f41 "
    "\u03bb\u03cc\u03b3\u03bf\u03c2; \u0391\u03b8\u03ae\u03bd\u03b1, "
    "\u03c6\u03b9\u03bb\u03bf\u03c3\u03bf\u03c6\u03af\u03b1.",
    "Words: na\u00efve caf\u00e9, fa\u00e7ade, r\u00e9sum\u00e9, Z\u00fcrich, "
    "Stra\u00dfe, \u0152uvre, Dvo\u0159\u00e1k, \u0141\u00f3d\u017a, "
    "\u2116 5, 3\u20134 p.m., 20 \u20ac.",
]


# --- layout ------------------------------------------------------------------------------


@dataclass
class Page:
    size: tuple[int, int]
    image: Image.Image = field(init=False)
    draw: ImageDraw.ImageDraw = field(init=False)
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.image = Image.new("L", self.size, 255)
        self.draw = ImageDraw.Draw(self.image)

    def text(self, xy: tuple[float, float], text: str, f: ImageFont.FreeTypeFont) -> None:
        self.draw.text(xy, text, font=f, fill=0)
        self.lines.append(text)

    def centered(self, y: float, text: str, f: ImageFont.FreeTypeFont) -> float:
        width = self.draw.textlength(text, font=f)
        self.text(((self.size[0] - width) / 2, y), text, f)
        return y + f.size * 1.8

    def paragraphs(
        self,
        paragraphs: list[str],
        f: ImageFont.FreeTypeFont,
        *,
        left: float,
        top: float,
        width: float,
        leading: float = 1.45,
        gap: float = 0.6,
    ) -> float:
        """Wrap and draw paragraphs; return the y below the last one."""
        y = top
        for paragraph in paragraphs:
            for line in wrap(paragraph, f, width, self.draw):
                self.text((left, y), line, f)
                y += f.size * leading
            y += f.size * gap
        return y


def wrap(text: str, f: ImageFont.FreeTypeFont, width: float, draw: ImageDraw.ImageDraw) -> list:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and draw.textlength(candidate, font=f) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def single_column(paragraphs: list[str], face: str, points: float, size=LETTER) -> Page:
    page = Page(size)
    body = font(face, points)
    page.paragraphs(paragraphs, body, left=MARGIN, top=MARGIN, width=size[0] - 2 * MARGIN)
    return page


def two_columns() -> Page:
    page = Page(LETTER)
    title = font("DejaVuSerif-Bold.ttf", 26)
    body = font("DejaVuSerif.ttf", 10)
    y = page.centered(MARGIN, PRIDE_TITLE, title) + 40
    gutter = 100
    column = (LETTER[0] - 2 * MARGIN - gutter) / 2
    # Split the paragraphs between the columns so both end at about the same height.
    count = len(PRIDE)
    best = min(
        range(1, count),
        key=lambda k: abs(_height(PRIDE[:k], body, column) - _height(PRIDE[k:], body, column)),
    )
    left, right = PRIDE[:best], PRIDE[best:]
    page.paragraphs(left, body, left=MARGIN, top=y, width=column)
    page.paragraphs(right, body, left=MARGIN + column + gutter, top=y, width=column)
    return page


def _height(paragraphs: list[str], f: ImageFont.FreeTypeFont, width: float) -> int:
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    return sum(len(wrap(p, f, width, draw)) for p in paragraphs)


def unicode_page() -> Page:
    page = Page(A4)
    y = page.centered(MARGIN, UNICODE_TITLE, font("DejaVuSans-Bold.ttf", 18)) + 30
    body = font("DejaVuSans.ttf", 12)
    page.paragraphs(UNICODE, body, left=MARGIN, top=y, width=A4[0] - 2 * MARGIN, gap=0.8)
    return page


def photographed(page: Image.Image, seed: int = 7) -> Image.Image:
    """A phone-camera look: grey paper, uneven light, slight tilt, blur, noise, colour cast."""
    rng = np.random.default_rng(seed)
    tilted = page.rotate(-1.5, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    ink = 1.0 - np.asarray(tilted.filter(ImageFilter.GaussianBlur(1.3)), np.float32) / 255.0
    h, w = ink.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # Light from the top left falling off towards the bottom right, plus a soft vignette.
    light = 0.95 - 0.22 * (xx / w * 0.4 + yy / h * 0.6)
    light -= 0.10 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
    paper = 232.0 * light
    grey = paper * (1.0 - 0.82 * ink)
    grey += rng.normal(0.0, 6.0, size=grey.shape)
    rgb = np.stack([grey * 1.02, grey * 0.99, grey * 0.92], axis=-1)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def save_png(image: Image.Image, name: str) -> None:
    image.save(HERE / f"{name}.png", optimize=True, dpi=(DPI, DPI))


def save_truth(name: str, lines: list[str]) -> None:
    (HERE / f"{name}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def main() -> None:
    plain_1 = single_column(DECLARATION, "DejaVuSerif.ttf", 12)
    save_png(plain_1.image, "plain_declaration")
    save_truth("plain_declaration", plain_1.lines)

    plain_2 = single_column(GETTYSBURG, "DejaVuSans.ttf", 12)
    save_png(plain_2.image, "plain_gettysburg")
    save_truth("plain_gettysburg", plain_2.lines)

    moby = single_column(MOBY_DICK, "DejaVuSerif.ttf", 12)
    photographed(moby.image).save(
        HERE / "photo_moby_dick.jpg", quality=80, dpi=(DPI, DPI), optimize=True
    )
    save_truth("photo_moby_dick", moby.lines)

    columns = two_columns()
    save_png(columns.image, "two_column_austen")
    save_truth("two_column_austen", columns.lines)

    # Turned a quarter turn clockwise, as if fed into the scanner sideways: rotating it
    # 90 degrees counter-clockwise (OcrResult.rotation == 90) makes it upright again.
    inaugural = single_column(SECOND_INAUGURAL, "DejaVuSans.ttf", 12)
    save_png(inaugural.image.rotate(-90, expand=True), "rotated_90_inaugural")
    save_truth("rotated_90_inaugural", inaugural.lines)

    unicode = unicode_page()
    save_png(unicode.image, "unicode_quotations")
    save_truth("unicode_quotations", unicode.lines)


if __name__ == "__main__":
    main()
