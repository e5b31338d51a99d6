"""The Bahasa Indonesia catalogue: complete, compiled, and actually used.

Stdlib only (no polib, no GNU gettext needed): a small .po parser and a small
.mo reader. Each checker returns a list of problems; the real catalogue must
give none, and the synthetic bad catalogues below prove that each checker can
fail. To refresh the catalogue see docs/development/adding-a-module.md.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext

import posko

LC_MESSAGES = Path(posko.__file__).resolve().parent / "locale" / "id" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"


# --- a tiny .po parser ----------------------------------------------------------------

@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index -> text; 0 if singular
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}


def _unquote(token: str, where: int) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"line {where}: expected a quoted string, got {token!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), token[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which string continuation lines extend
    pending_flags: set[str] = set()

    def start(lineno: int) -> Entry:
        nonlocal current, pending_flags
        if current is None:
            current = Entry(flags=pending_flags, line=lineno)
            pending_flags = set()
        return current

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"line {lineno}: continuation outside an entry")
            kind, index = target
            piece = _unquote(line, lineno)
            if kind == "msgstr":
                current.msgstr[index] += piece
            else:
                setattr(current, kind, getattr(current, kind) + piece)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and current is not None and current.msgstr:
            finish()  # a new entry started without a blank line
        entry = start(lineno)
        value = _unquote(rest, lineno)
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(entry, keyword, value)
            target = (keyword, 0)
        elif keyword == "msgstr":
            entry.msgstr[0] = value
            target = ("msgstr", 0)
        elif m := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
            entry.msgstr[int(m.group(1))] = value
            target = ("msgstr", int(m.group(1)))
        else:
            raise ValueError(f"line {lineno}: unknown keyword {keyword!r}")
    finish()
    return entries


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next((e for e in entries if e.is_header), None)
    if header is None:
        return {}
    pairs = (line.partition(":") for line in header.msgstr.get(0, "").splitlines())
    return {k.strip(): v.strip() for k, _, v in pairs if k.strip()}


# --- a tiny .mo reader ----------------------------------------------------------------

def read_mo(data: bytes) -> dict[str, str]:
    """{key: translation} exactly as stored: plural forms joined by NUL, msgctxt by EOT."""
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if order is None:
        raise ValueError("not a GNU .mo file")
    _rev, count, orig_at, trans_at = struct.unpack(order + "4I", data[4:20])
    catalog = {}
    for i in range(count):
        olen, ooff = struct.unpack(order + "2I", data[orig_at + 8 * i:orig_at + 8 * i + 8])
        tlen, toff = struct.unpack(order + "2I", data[trans_at + 8 * i:trans_at + 8 * i + 8])
        key = data[ooff:ooff + olen].decode("utf-8")
        catalog[key] = data[toff:toff + tlen].decode("utf-8")
    return catalog


def expected_mo(entries: list[Entry]) -> dict[str, str]:
    """What msgfmt writes for these entries (it leaves out fuzzy and untranslated ones)."""
    catalog = {}
    for e in entries:
        if "fuzzy" in e.flags and not e.is_header:
            continue
        forms = [e.msgstr[i] for i in sorted(e.msgstr)]
        if not e.is_header and not all(forms):
            continue
        key = e.msgid if e.msgid_plural is None else f"{e.msgid}\0{e.msgid_plural}"
        if e.msgctxt is not None:
            key = f"{e.msgctxt}\x04{key}"
        catalog[key] = "\0".join(forms)
    return catalog


# --- checkers: each returns a list of problems ----------------------------------------

def untranslated_or_fuzzy(entries: list[Entry]) -> list[str]:
    problems = []
    nplurals = re.search(r"nplurals\s*=\s*(\d+)", header_fields(entries).get("Plural-Forms", ""))
    for e in entries:
        if "fuzzy" in e.flags:
            problems.append(f"{e.label} is fuzzy")
        if e.is_header:
            continue
        if not e.msgstr or not all(e.msgstr.values()):
            problems.append(f"{e.label} is untranslated")
        if e.msgid_plural is not None and nplurals and len(e.msgstr) != int(nplurals.group(1)):
            problems.append(f"{e.label} has {len(e.msgstr)} plural forms, "
                            f"the header says {nplurals.group(1)}")
    return problems


def _without_pot_date(catalog: dict[str, str]) -> dict[str, str]:
    """GNU msgfmt leaves POT-Creation-Date out of the compiled header; ignore it."""
    header = re.sub(r"(?m)^POT-Creation-Date:.*\n", "", catalog.get("", ""))
    return {**catalog, "": header} if "" in catalog else catalog


def mo_differences(entries: list[Entry], compiled: dict[str, str]) -> list[str]:
    want = _without_pot_date(expected_mo(entries))
    compiled = _without_pot_date(compiled)
    problems = [f"missing from the .mo: {k!r}" for k in want.keys() - compiled.keys()]
    problems += [f"in the .mo but not the .po: {k!r}" for k in compiled.keys() - want.keys()]
    problems += [f"stale in the .mo: {k!r}: {compiled[k]!r} != {want[k]!r}"
                 for k in want.keys() & compiled.keys() if want[k] != compiled[k]]
    return sorted(problems)


# %(name)s, %(number)03d, %(value)r, %s, %%
_PYFORMAT = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
_NAMED = re.compile(r"%\(\w+\)[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")


def placeholders(text: str, python_format: bool) -> list[str]:
    return sorted((_PYFORMAT if python_format else _NAMED).findall(text))


def placeholder_mismatches(entries: list[Entry]) -> list[str]:
    problems = []
    for e in entries:
        if e.is_header:
            continue
        pyformat = "python-format" in e.flags
        source = set(placeholders(e.msgid, pyformat))
        if e.msgid_plural is not None:
            # one Indonesian form serves every count, so it needs the plural's placeholders too
            source |= set(placeholders(e.msgid_plural, pyformat))
        for index, text in sorted(e.msgstr.items()):
            if not text:
                continue  # reported by untranslated_or_fuzzy
            found = set(placeholders(text, pyformat))
            if found != source:
                problems.append(f"{e.label} msgstr[{index}]: placeholders {sorted(found)} "
                                f"!= {sorted(source)}")
    return problems


# --- the real catalogue ---------------------------------------------------------------

@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


def test_catalogue_is_indonesian_with_one_plural_form(entries):
    fields = header_fields(entries)
    assert fields.get("Language") == "id"
    assert fields.get("Content-Type") == "text/plain; charset=UTF-8"
    assert fields.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert len([e for e in entries if not e.is_header]) > 100


def test_every_message_is_translated_and_none_is_fuzzy(entries):
    assert untranslated_or_fuzzy(entries) == []


def test_compiled_mo_matches_the_po(entries):
    assert MO_PATH.exists(), "run compilemessages (docs/development/adding-a-module.md)"
    assert mo_differences(entries, read_mo(MO_PATH.read_bytes())) == []
    with MO_PATH.open("rb") as fh:  # and the standard library accepts it
        catalog = GNUTranslations(fh)
    assert catalog.gettext("Log in") == "Masuk"


def test_placeholders_survive_translation(entries):
    assert placeholder_mismatches(entries) == []


@pytest.mark.parametrize(("english", "indonesian"), [
    ("Log in", "Masuk"),
    ("Log out", "Keluar"),
    ("Save", "Simpan"),
    ("Home", "Beranda"),
    ("Regions", "Wilayah"),
    ("Elections", "Pemilihan"),
    ("Users", "Pengguna"),
    ("Audit log", "Log audit"),
    ("Special location", "Lokasi khusus"),
    ("The file is empty.", "Berkas kosong."),
])
def test_key_strings_are_indonesian_and_english_stays_english(english, indonesian):
    with translation.override("id"):
        assert gettext(english) == indonesian
    with translation.override("en"):
        assert gettext(english) == english


def test_formatted_and_plural_messages_in_both_languages():
    row = {"row": 4, "column": "alamat", "message": "x"}
    rule = {"total": 700, "max": 600}
    with translation.override("id"):
        assert gettext("Row %(row)s, column %(column)s: %(message)s") % row == \
            "Baris 4, kolom alamat: x"
        assert gettext("TPS %(number)03d already exists in this kelurahan for this election.") \
            % {"number": 7} == "TPS 007 sudah ada di kelurahan ini untuk pemilihan ini."
        assert "melebihi batas 600 pemilih" in gettext(
            "DPT total %(total)s exceeds the maximum of %(max)s voters per TPS for this "
            "election.") % rule
        for n in (1, 5):
            assert ngettext("Nothing was imported: %(n)s problem in %(filename)s.",
                            "Nothing was imported: %(n)s problems in %(filename)s.", n) \
                % {"n": n, "filename": "a.csv"} == f"Tidak ada yang diimpor: {n} masalah di a.csv."
    with translation.override("en"):
        assert ngettext("Nothing was imported: %(n)s problem in %(filename)s.",
                        "Nothing was imported: %(n)s problems in %(filename)s.", 2) \
            % {"n": 2, "filename": "a.csv"} == "Nothing was imported: 2 problems in a.csv."


def test_lazy_model_labels_follow_the_language():
    from posko.elections.models import Tps

    label = Tps._meta.get_field("dpt_total").verbose_name
    with translation.override("id"):
        assert str(label) == "jumlah DPT"
    with translation.override("en"):
        assert str(label) == "DPT total"


# --- the checkers can fail ------------------------------------------------------------

BAD_PO = r'''
msgid ""
msgstr ""
"Language: id\n"
"Plural-Forms: nplurals=1; plural=0;\n"

msgid "Log in"
msgstr "Masuk"

msgid "Save"
msgstr ""

#, fuzzy
msgid "Home"
msgstr "Rumah"

#, python-format
msgid "Row %(row)s: %(message)s"
msgstr "Baris %(baris)s: %(message)s"

#, python-format
msgid "TPS %(number)03d exists."
msgstr "TPS %(number)s sudah ada."

#, python-format
msgid "%(count)s row"
msgid_plural "%(count)s rows"
msgstr[0] ""

#, python-format
msgid "One row"
msgid_plural "%(count)s rows"
msgstr[0] "Satu baris"

msgid "Two\n"
"lines \"quoted\""
msgstr ""
"Dua\n"
"baris"

#~ msgid "Gone"
#~ msgstr ""
'''


def test_parser_reads_continuations_escapes_flags_and_skips_obsolete():
    parsed = parse_po(BAD_PO)
    by_id = {e.msgid: e for e in parsed}
    assert "Gone" not in by_id
    assert by_id['Two\nlines "quoted"'].msgstr == {0: "Dua\nbaris"}
    assert by_id["Home"].flags == {"fuzzy"}
    assert by_id["%(count)s row"].msgid_plural == "%(count)s rows"
    assert header_fields(parsed)["Plural-Forms"] == "nplurals=1; plural=0;"


def test_untranslated_and_fuzzy_entries_are_reported():
    problems = untranslated_or_fuzzy(parse_po(BAD_PO))
    assert any("'Save' is untranslated" in p for p in problems)
    assert any("'Home' is fuzzy" in p for p in problems)
    assert any("'%(count)s row' is untranslated" in p for p in problems)
    assert not any("'Log in'" in p for p in problems)


def test_wrong_placeholders_are_reported():
    problems = "\n".join(placeholder_mismatches(parse_po(BAD_PO)))
    assert "%(baris)s" in problems  # renamed
    assert "%(number)03d" in problems  # format changed
    assert "'One row'" in problems  # lost the plural's %(count)s
    assert "'Log in'" not in problems


def test_stale_mo_is_reported():
    parsed = parse_po(BAD_PO)
    good = expected_mo(parsed)
    assert "Save" not in good and "Home" not in good  # msgfmt drops them too
    assert mo_differences(parsed, good) == []
    stale = {**good, "Log in": "Login"}
    del stale["Two\nlines \"quoted\""]
    stale["Removed"] = "Dihapus"
    problems = "\n".join(mo_differences(parsed, stale))
    assert "stale in the .mo: 'Log in'" in problems
    assert "missing from the .mo" in problems
    assert "in the .mo but not the .po: 'Removed'" in problems
