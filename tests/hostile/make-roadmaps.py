#!/usr/bin/env python3
# Generates tests/hostile/roadmaps/: hostile variants of the seed roadmap, each with NAME.expect.
# tests/test-hostile.c runs them; the files are kept in git, this is how they were made. To add a case,
# add it here and run, from the top of the tree:
#   tests/hostile/make-roadmaps.py tests/hostile/roadmaps examples/machine-building-roadmap-2024.kk.txt
import os, random, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seed = open(sys.argv[2], 'rb').read()
L = seed.split(b'\n')  # L[i] is line i+1

def row(n):  # the line of measure n in the seed (1..33)
    for i, l in enumerate(L):
        if l.startswith(b'%d.\t|' % n):
            return i + 1
    raise KeyError(n)

def cells(lineno):
    return L[lineno - 1].split(b'\t|\t')

def with_line(lineno, text):
    v = list(L)
    v[lineno - 1] = text
    return b'\n'.join(v)

def with_cell(n, col, text):
    ln = row(n)
    c = cells(ln)
    c[col] = text
    return ln, with_line(ln, b'\t|\t'.join(c))

def write(name, data, expect):
    with open(os.path.join(out, name + '.txt'), 'wb') as f:
        f.write(data)
    with open(os.path.join(out, name + '.expect'), 'w', encoding='utf-8') as f:
        f.write(expect.rstrip('\n') + '\n')

HEADER = 'Р/с №\t|\tАтауы\t|\tАяқталу нысаны\t|\tОрындау мерзімі\t|\tЖауапты орындаушылар'.encode()
TITLE = 'Машина жасауды дамытудың 2024 жылға дейінгі жол картасы'.encode()
MEASURE = '1.\t|\tКелісімдер жасау\t|\tкелісім\t|\t2022 жылғы маусым\t|\tИИДМ'.encode()

# --- empty and nearly empty documents
write('empty', b'', '# An empty file: there is no line to name.\nrefused 0 no table found')
write('bom-only', b'\xef\xbb\xbf', '# Only a byte order mark.\nrefused 0 no table found')
write('bom-and-newlines', b'\xef\xbb\xbf\r\n\r\n\r\n', '# A BOM and three empty CRLF lines.\nrefused 0 no table found')
write('header-only', TITLE + b'\n\n' + HEADER + b'\n',
      '# A title and the header row, and nothing else.\nrefused 3 the table has no measures')
write('header-and-numbering', TITLE + b'\n' + HEADER + b'\n1\t|\t2\t|\t3\t|\t4\t|\t5\n',
      '# The header and the column numbering row, no measures.\nrefused 2 the table has no measures')
write('no-title', HEADER + b'\n' + MEASURE + b'\n',
      '# The header row is the first line: there is no title.\nrefused 1 no title before the table')
write('only-separators', b'|||||\n|||||\n',
      '# Rows of nothing but separators.\nrefused 1 no header row found')

# --- truncated copies of the seed
cut = seed.index(cells(row(10))[3])  # in the middle of measure 10, after its deadline column starts
write('truncated-mid-row', seed[:cut],
      '# The seed cut off in the middle of measure 10: the row has 4 columns.\n'
      'refused %d expected 5 columns as in the header, found 4' % row(10))
p = seed.index('Металл илегін'.encode()) + 1  # inside the two-byte М
write('truncated-mid-character', seed[:p],
      '# The seed cut off inside a two-byte character of measure 4.\nrefused %d invalid UTF-8' % row(4))
write('truncated-preamble', seed[:seed.index(HEADER) - 10],
      '# The seed cut off before the table header.\nrefused 14 no header row found')

# --- wrong column counts
ln = row(3)
c = cells(ln)
write('columns-4', with_line(ln, b'\t|\t'.join(c[:3] + c[4:])),
      '# Measure 3 without its deadline column.\nrefused %d expected 5 columns as in the header, found 4' % ln)
write('columns-6', with_line(ln, b'\t|\t'.join(c + [b'extra'])),
      '# Measure 3 with a sixth column.\n'
      '# A row of the text layout with a cell more than the header cannot be aligned with it.\n'
      'refused %d expected 5 columns as in the header, found 6' % ln)
ln = row(7)
write('columns-2', with_line(ln, b'7.\t|\t' + cells(ln)[1]),
      '# Measure 7 with only its number and name.\nrefused %d expected 5 columns as in the header, found 2' % ln)
wide = b'\t|\t'.join([b'%d' % i for i in range(10000)])
write('columns-10000', TITLE + b'\n' + wide + b'\n' + b'1.\t|\t' + wide + b'\n',
      '# A header and a row of 10,000 columns each.\nrefused 2 a row has more columns than merzim reads (10000, at most 64)')

# --- not text
rnd = random.Random(5)
write('binary-junk', b'\xff' + bytes(rnd.randrange(256) for _ in range(8192)),
      '# Random bytes.\nrefused 1 invalid UTF-8 (byte 0xff at offset 0)')
write('binary-elf', b'\x7fELF\x02\x01\x01\x00' + bytes(56) + bytes(rnd.randrange(256) for _ in range(2048)),
      '# The start of an executable.\nrefused 0 this is a program, not a document')
write('utf16le', b'\xff\xfe' + seed[:3000].decode('utf-8', 'ignore').encode('utf-16-le'),
      '# The seed saved as UTF-16 with a BOM.\nrefused 0 this text is UTF-16: save it as UTF-8')
ru = ('План мероприятий по развитию машиностроения на 2019 - 2024 годы\n' + HEADER.decode() + '\n'
      '1.\t|\tЗаключение соглашений\t|\tинформация в МИИР\t|\tиюнь 2022 года\t|\tМИИР\n')
write('windows-1251', ru.encode('cp1251', 'replace'),
      '# A Russian plan saved in Windows-1251.\nrefused 1 invalid UTF-8')
ln, data = with_cell(5, 1, 'Машина жасау \xc0\xaf кәсіпорындарын'.encode('utf-8', 'surrogateescape'))
data = data.replace('\xc0\xaf'.encode(), b'\xc0\xaf')
write('invalid-utf8-overlong', data,
      '# An overlong encoding of "/" (C0 AF) in the name of measure 5.\nrefused %d invalid UTF-8 (byte 0xc0' % ln)
ln, data = with_cell(6, 1, b'\xed\xa0\x80\xed\xb0\x80 surrogates')
write('invalid-utf8-surrogate', data,
      '# A surrogate pair encoded as two three-byte sequences (CESU-8) in measure 6.\nrefused %d invalid UTF-8 (byte 0xed' % ln)
ln, data = with_cell(8, 4, b'\xd0\x98\xd0\x98\xd0\x94\xd0')  # ИИД and half of М
write('invalid-utf8-cut-executor', data,
      '# The executors of measure 8 end in half a character.\nrefused %d invalid UTF-8' % ln)
ln, data = with_cell(2, 1, 'Қазақстандық\x00шикізатты'.encode())
write('nul-in-name', data, '# A NUL byte inside the name of measure 2.\nrefused %d NUL byte in the text' % ln)
ln, data = with_cell(9, 4, 'ИИДМ\x00, ҰЭМ'.encode())
write('nul-in-executor', data, '# A NUL byte inside the executors of measure 9.\nrefused %d NUL byte in the text' % ln)

# --- absurd years and impossible dates: the measure is imported undated
def undated(n, ln):  # what an unreadable deadline of measure n on line ln does
    return ('# Every measure is imported: this one undated, with a warning; --strict refuses the plan.\n'
            'imported\nmeasures 33\nundated 1\nwarned %d measure %d is undated\n'
            'strict-refused %d measure %d: cannot read the deadline' % (ln, n, ln, n))

for name, text, what in [
        ('year-0', '0 жылғы маусым', 'year 0'),
        ('year-99999', '99999 жылғы маусым', 'year 99999'),
        ('year-1066', '1066 жылғы 14 қазанға дейін', 'year 1066'),
        ('year-range-reversed', '2024 – 2022 жылдары жыл сайын 30 маусымға қарай', None),
        ('date-31-february', '2023 жылғы 31 ақпанға дейін', None),
        ('date-day-0', '2023 жылғы 0 наурызға дейін', None),
        ('quarter-5', '2022 жылғы V тоқсан', None),
        ('deadline-unknown-words', '2022 жылғы маусым немесе шілде', None),
        ('canonical-rule-year-0', 'quarterly 2 0-2', None),
]:
    ln, data = with_cell(12, 3, text.encode())
    write(name, data, '# Measure 12 with the deadline "%s".\n' % text + undated(12, ln))

ln, data = with_cell(12, 3, '-2022 жылғы маусым'.encode())
write('year-negative', data, '# "-2022": the dash is read as a leading dash, not a sign: June 2022.\nimported\nmeasures 33')
ln, data = with_cell(13, 3, ' '.join(['2022'] * 1600).encode())
write('deadline-1600-words', data, '# A deadline of 1600 numbers.\n' + undated(13, ln))
ln, data = with_cell(14, 3, b'2022 \xd0\xb6\xd1\x8b\xd0\xbb\xd2\x93\xd1\x8b ' + b'9' * 8000)
write('deadline-long-number', data, '# A deadline with a number of 8000 digits.\n' + undated(14, ln))

ln, data = with_cell(13, 3, ' '.join(['2023'] * 64).encode())
write('deadline-64-years', data, '# 64 years: the parser\'s last token is a year (UBSan: index 65 out of bounds).\n' +
      undated(13, ln))
ln, data = with_cell(15, 3, ('белгісіз ' * 40).encode())
write('deadline-unknown-long', data, '# 40 unknown Kazakh words: the message is cut short, never inside a character.\n' +
      undated(15, ln))

# --- measure numbers
ln = row(5)
write('duplicate-measure', with_line(ln, L[ln - 1].replace(b'5.\t|', b'4.\t|', 1)),
      '# Measure 5 numbered 4 again.\n'
      '# Measures are numbered by their place; the numbers as written are kept as labels.\n'
      'imported\nmeasures 33\nwarned 0 measure 4 is listed twice (line %d and line %d)' % (row(4), ln))
ln = row(20)
write('measure-number-huge', with_line(ln, L[ln - 1].replace(b'20.\t|', b'99999999999999999999.\t|', 1)),
      '# A measure number that overflows any integer.\nimported\nmeasures 33\nwarned 0 are not plain numbers')
write('measure-number-negative', with_line(ln, L[ln - 1].replace(b'20.\t|', b'-20.\t|', 1)),
      '# A negative measure number.\nrefused %d the number column ("-20.") is not a measure number' % ln)
write('measure-number-zero', with_line(ln, L[ln - 1].replace(b'20.\t|', b'0.\t|', 1)),
      '# Measure number 0.\nrefused %d the number column ("0.") is not a measure number' % ln)

# --- empty cells
ln, data = with_cell(15, 4, b'')
write('executors-empty', data, '# Measure 15 without executors.\n'
      '# Every measure is imported; its reminders go to the coordinator.\n'
      'imported\nmeasures 33\nwarned %d measure 15 has no executors' % ln)
ln, data = with_cell(15, 4, b', ; , (\xd0\xba\xd0\xb5\xd0\xbb\xd1\x96\xd1\x81\xd1\x83 \xd0\xb1\xd0\xbe\xd0\xb9\xd1\x8b\xd0\xbd\xd1\x88\xd0\xb0)')
write('executors-only-separators', data, '# Executors that are only separators and a marker.\n'
      'imported\nmeasures 33\nwarned %d measure 15 has no executors' % ln)
ln, data = with_cell(16, 1, b'   ')
write('name-blank', data, '# Measure 16 with a blank name.\nimported\nmeasures 33\nwarned %d measure 16 has no name' % ln)

# --- 1 MB fields
ln, data = with_cell(17, 4, 'И'.encode() * (1 << 19))
write('executors-1mb', data, '# An executor named by a 1 MB word.\n'
      'refused %d a line of %d bytes is longer than merzim reads' % (ln, len(data.split(b'\n')[ln - 1])))
ln, data = with_cell(17, 4, 'ИИДМ, '.encode() + 'Министрлік '.encode() * 30)
write('executor-330-characters', data, '# An executor name of 330 characters: long, but within the bound (400; real plans '
      'have executors of 230).\nimported\nmeasures 33')
ln, data = with_cell(18, 1, ('өнім ' * (1 << 18)).encode()[: 1 << 20])
write('name-1mb', data, '# A measure name of 1 MB.\n'
      'refused %d a line of %d bytes is longer than merzim reads' % (ln, len(data.split(b'\n')[ln - 1])))
text = ('ИИДМ-ға ақпарат ' * 3500).encode()
ln, data = with_cell(19, 2, text)
write('form-100kb', data, '# A completion form of about 100 KB.\n'
      'refused %d a cell is longer than merzim reads (column 3: %d bytes' % (ln, len(text.strip())))
text = ('2022 жылғы маусым ' * 3500).encode()
ln, data = with_cell(19, 3, text)
write('deadline-100kb', data, '# A deadline of about 100 KB.\n'
      'refused %d a cell is longer than merzim reads (column 4: %d bytes' % (ln, len(text.strip())))
v = list(L)
v.insert(row(21) - 1, ('бөлім ' * 10000).encode())
write('section-100kb', b'\n'.join(v), '# A section title of about 100 KB.\n'
      'refused %d a paragraph of %d bytes is longer than merzim reads' % (row(21), len(v[row(21) - 1])))
v = list(L)
v[19] = ('жол картасы ' * 5000).encode()
write('title-100kb', b'\n'.join(v), '# A title of 100 KB.\nrefused 20 a paragraph of %d bytes is longer than merzim reads' % len(v[19]))

# --- executors that try to be mail headers, terminal escapes and the like
ln, data = with_cell(1, 4, 'ИИДМ\r\nBcc: evil@x'.encode())
write('executor-crlf-bcc', data,
      '# "ИИДМ\\r\\nBcc: evil@x": the line ends after ИИДМ; "Bcc: evil@x" is a line of its own (a section).\n'
      'imported\nmeasures 33\nagency ИИДМ\nno-agency Bcc')
ln, data = with_cell(1, 4, 'ИИДМ\rBcc: evil@x, ҰЭМ'.encode())
write('executor-cr-bcc', data,
      '# A lone CR inside an executor is white space: the code is odd, but one line.\n'
      'imported\nmeasures 33\nagency ИИДМ Bcc: evil@x')
ln, data = with_cell(2, 4, 'a@b>, <c@d'.encode())
write('executor-angle-brackets', data,
      '# "a@b>, <c@d": two odd codes, never addresses.\nimported\nmeasures 33\nagency a@b>\nagency <c@d')
ln, data = with_cell(3, 4, 'ИИДМ\x1b[2J\x1b]0;pwned\x07, ҰЭМ'.encode())
write('executor-terminal-escape', data,
      '# Terminal escape sequences in an executor would reach the operator\'s terminal.\n'
      'refused %d control character U+001B in the text' % ln)
ln, data = with_cell(3, 1, 'ҚҚС \u009b2J есепке'.encode())
write('name-c1-control', data, '# U+009B, the one-character CSI, in a measure name.\nrefused %d control character U+009B' % ln)
ln, data = with_cell(3, 4, 'ИИДМ\b\b\b\bҰЭМ'.encode())
write('executor-backspace', data, '# Backspaces that would hide an executor on a terminal.\nrefused %d control character U+0008' % ln)
ln, data = with_cell(4, 4, 'ИИДМ\u202e, ҰЭМ'.encode())
write('executor-bidi-override', data,
      '# A right-to-left override after an executor: imported as an odd code.\n'
      'imported\nmeasures 33\nagency ҰЭМ')
ln, data = with_cell(5, 4, b'((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((, ' + 'ИИДМ'.encode())
write('executor-unbalanced-parens', data,
      '# 64 opening parentheses: the commas after them are inside; one odd executor.\nimported\nmeasures 33')
ln, data = with_cell(6, 2, 'ИИДМ-ға\r\nBcc: evil@x ақпарат'.encode())
write('form-crlf-bcc', data,
      '# A completion form broken by CRLF: the row has 3 columns.\n'
      'refused %d expected 5 columns as in the header, found 3' % ln)

# --- the preamble
write('numero-inside-number', seed.replace('2019 жылғы 26 маусымдағы № 115-ө өкіміне'.encode(),
                                           '2019 жылғы 26 маусымдағы №115-ө№116 өкіміне'.encode(), 1),
      '# A "№" inside the number after another "№" (merzimctl import aborted: out of memory).\nimported\nmeasures 33')
v = list(L)
v[0] = ('№' * 3000).encode()
write('numero-3000', b'\n'.join(v), '# 3000 "№" in a row in the preamble.\nimported\nmeasures 33')

# --- line ends, BOM: accepted
write('crlf-and-bom', b'\xef\xbb\xbf' + seed.replace(b'\n', b'\r\n'),
      '# The seed with a BOM and CRLF line ends: fine.\nimported\nmeasures 33\nagency ИИДМ')
write('no-final-newline', seed.rstrip(b'\n'), '# The seed without its final newlines.\nimported\nmeasures 33')

# --- many errors at once
v = list(L)
v[row(3) - 1] = v[row(3) - 1].replace(cells(row(3))[3], '2023 жылғы 30 ақпанға дейін'.encode())
v[row(6) - 1] = b'\t|\t'.join(cells(row(6))[:4])
v[row(9) - 1] = v[row(9) - 1].replace(b'9.\t|', b'8.\t|', 1)
write('many-errors', b'\n'.join(v),
      '# Three errors: every one is reported with its line.\n'
      '# The unreadable deadline and the repeated number are warnings (test-roadmap); the short row is an error.\n'
      'refused %d expected 5 columns as in the header, found 4' % row(6))
