#!/usr/bin/python3
# Generates the HTML, Markdown and Word documents of tests/hostile/roadmaps/: the seed plan as a web page
# and as a .docx that import, and hostile variants of them (zip bombs, deep nesting, huge cells, foreign
# formats), each with NAME.expect. tests/test-hostile.c runs them; the files are kept in git, this is how
# they were made. To add a case, add it here and run, from the top of the tree:
#   /usr/bin/python3 tests/hostile/make-documents.py tests/hostile/roadmaps examples/machine-building-roadmap-2024.kk.txt
# word-seed-pandoc.docx is made by pandoc (apt-get install pandoc); without pandoc it is left as it is.
import html, os, shutil, subprocess, sys, tempfile, zipfile, zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seed = open(sys.argv[2], encoding='utf-8').read().split('\n')


def write(name, data, expect):
    base = name.rsplit('.', 1)[0]
    for other in os.listdir(out):  # NAME.expect is for one document only
        if other.rsplit('.', 1)[0] == base and other != name and not other.endswith('.expect'):
            raise SystemExit('make-documents.py: %s and %s would share %s.expect' % (name, other, base))
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
    with open(os.path.join(out, base + '.expect'), 'w', encoding='utf-8') as f:
        f.write(expect.rstrip('\n') + '\n')


# --- the seed plan as blocks: paragraphs and rows before the plan's table, the title, the table's rows
# (a section title is a row of one cell)
header_at = next(i for i, l in enumerate(seed) if l.startswith('Р/с №'))
before = []  # ('p', text) or ('row', cells)
for line in seed[:header_at]:
    if '|' in line:
        before.append(('row', [c.strip() for c in line.split('|')]))
    elif line.strip():
        before.append(('p', line.strip()))
TITLE = before.pop()[1]
ROWS = []
for line in seed[header_at:]:
    if '|' in line:
        ROWS.append([c.strip() for c in line.split('|')])
    elif line.strip():
        ROWS.append([line.strip()])
MEASURES = sum(1 for r in ROWS if len(r) == 5 and r[0].endswith('.'))
assert MEASURES == 33


def measure(n):  # the index in ROWS of measure n
    return next(i for i, r in enumerate(ROWS) if r[0] == '%d.' % n)


# --- web pages
def esc(s):
    return html.escape(s, quote=False)


def html_cells(cells, tag='td'):
    if len(cells) == 1:
        return '<tr><%s colspan="5">%s</%s></tr>' % (tag, esc(cells[0]), tag)
    return '<tr>' + ''.join('<%s>%s</%s>' % (tag, esc(c), tag) for c in cells) + '</tr>'


def html_table(rows=None, edit=None):
    """The plan's table, one row a line; edit(i, row) may give a row's HTML instead."""
    rows = ROWS if rows is None else rows
    lines = ['<table border="1">']
    for i, r in enumerate(rows):
        lines.append((edit and edit(i, r)) or html_cells(r))
    lines.append('</table>')
    return '\n'.join(lines)


def html_before():
    lines = [('<p>%s</p>' % esc(t)) for kind, t in before if kind == 'p']
    lines.append('<table class="signature">')
    lines += [html_cells(c) for kind, c in before if kind == 'row']
    lines.append('</table>')
    lines.append('<p><b>%s</b></p>' % esc(TITLE))
    return '\n'.join(lines)


def page(body=None, head='<meta charset="utf-8">', table=None, title=TITLE):
    return ('<!DOCTYPE html>\n<html lang="kk">\n<head>\n%s\n<title>%s</title>\n</head>\n<body>\n%s\n</body>\n</html>\n'
            % (head, esc(title), body if body is not None else html_before() + '\n' + (table or html_table()))
            ).encode()


def line_of(data, marker):  # the line of the first occurrence of marker in data
    return data[:data.index(marker)].count(b'\n') + 1


SEED_PAGE = page()
write('page-seed.html', SEED_PAGE, '# The seed plan as a web page, as the legal database shows it.\n'
      'imported\nmeasures 33\nagency ИИДМ\nagency ҰЭМ')

md = '\n\n'.join(t for kind, t in before if kind == 'p') + '\n\n**' + TITLE + '**\n\n' + html_table() + '\n'
write('markdown-seed.md', md.encode(), '# The seed plan as Markdown with an HTML table, as the mirrors give it.\n'
      'imported\nmeasures 33\nagency ИИДМ')

# Nesting: elements 100,000 deep around the page's content, tables 100 deep.
data = page(body='<div>' * 100000 + '\n' + html_before() + '\n' + html_table() + '\n' + '</div>' * 100000)
write('page-nested-elements-100000.html', data, '# The page inside 100,000 nested <div>s.\n'
      'refused %d the page is nested more than 256 elements deep' % line_of(data, b'<div>'))
inner = html_before() + '\n' + html_table()
data = page(body='<table><tr><td>\n' * 100 + inner + '\n' + '</td></tr></table>\n' * 100)
write('page-nested-tables-100.html', data, '# The plan inside tables nested 100 deep, a line each: table, row and cell '
      'are\n# three elements a table deeper, so the 64th table is too deep.\n'
      'refused %d the page is nested more than 256 elements deep' % (line_of(data, b'<table><tr><td>') + 63))

# Spans: a section title over 100,000 columns, an executor cell over 100,000 rows.
sec = next(i for i, r in enumerate(ROWS) if len(r) == 1 and i > measure(1))
data = page(table=html_table(edit=lambda i, r: i == sec and
                             '<tr><td colspan="100000">%s</td></tr>' % esc(r[0])))
write('page-colspan-100000.html', data, '# A section title spread over 100,000 columns: as many as merzim reads.\n'
      'imported\nmeasures 33')
m30 = measure(30)
ROWS_SPAN = [list(r) for r in ROWS]
for i in range(m30 + 1, len(ROWS_SPAN)):
    ROWS_SPAN[i] = ROWS_SPAN[i][:4]
data = page(table=html_table(ROWS_SPAN, edit=lambda i, r: i == m30 and
                             '<tr>' + ''.join('<td>%s</td>' % esc(c) for c in r[:4]) +
                             '<td rowspan="100000">%s</td></tr>' % esc(r[4])))
write('page-rowspan-100000.html', data, '# The executors of measures 30 to 33 in one cell over 100,000 rows: the '
      'rows there are.\nimported\nmeasures 33\nagency ИИДМ')

# Sizes: a cell of 1 MB; two million tiny cells.
m18 = measure(18)
name = ('өнім ' * 116509).strip()
data = page(table=html_table(edit=lambda i, r: i == m18 and html_cells([r[0], name] + r[2:])))
write('page-cell-1mb.html', data, '# A measure name of 1 MB.\n'
      'refused %d a cell is longer than merzim reads (column 2: %d bytes'
      % (line_of(data, 'өнім өнім'.encode()), len(name.encode())))
data = page(body='<p>%s</p>\n<table>\n' % esc(TITLE) + '<tr><td>1<td>2<td>3<td>4<td>5\n' * 400000 + '</table>')
write('page-cells-2000000.html', data, '# Two million cells of one character.\n'
      'refused 0 the document has more table cells than merzim reads (at most 1000000)')

# A number cell of two lines (fuzz-html found it): the error quotes it on one line.
m2 = measure(2)
data = page(table=html_table(edit=lambda i, r: i == m2 and html_cells(r).replace('<td>2.</td>', '<td>2<br>td></td>', 1)))
write('page-number-two-lines.html', data, '# A number cell of two lines, "2" and "td>" (fuzz-html found it): its error is one line.\n'
      'refused %d the number column ("2 td>") is not a measure number' % line_of(data, b'<td>2<br>'))

# Character sets.
RU_TITLE = 'План мероприятий по развитию машиностроения на 2019 – 2024 годы'
RU_ROWS = [['№ п/п', 'Наименование мероприятия', 'Форма завершения', 'Срок исполнения', 'Ответственные исполнители'],
           ['1.', 'Заключение соглашений с предприятиями горно-металлургического комплекса', 'информация в МИИР',
            'июнь 2022 года', 'МИИР, МНЭ, НПП «Атамекен» (по согласованию)'],
           ['2.', 'Анализ объёмов потребления металлопроката', 'аналитическая справка', 'август 2022 года',
            'МИИР, АО «КИРИ» (по согласованию)'],
           ['3.', 'Определение проектов по созданию литейных производств', 'утверждённый перечень проектов',
            'ноябрь 2022 года', 'МИИР, МИО (по согласованию)']]
ru_body = '<p>%s</p>\n' % esc(RU_TITLE) + html_table(RU_ROWS)
write('page-windows-1251.html', page(ru_body, title=RU_TITLE, head='<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">')
      .decode().encode('cp1251'),
      '# A Russian plan in a page declared and saved as Windows-1251.\n'
      'imported\nmeasures 3\nagency МИИР\nagency МНЭ\nagency МИО')
write('page-windows-1251-meta-charset.html', page(ru_body, title=RU_TITLE, head='<meta charset="windows-1251">').decode().encode('cp1251'),
      '# The same, declared by <meta charset>.\nimported\nmeasures 3\nagency МИИР')
write('page-utf8-declared-windows-1251.html',
      page(head='<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'),
      '# The seed page in UTF-8, as pages saved again often are, though it still says windows-1251: read as '
      'UTF-8.\nimported\nmeasures 33\nagency ИИДМ\nagency ҰЭМ')
data = page(ru_body, title=RU_TITLE, head='<meta charset="windows-1251">').decode().encode('cp1251')
data = data.replace('МНЭ'.encode('cp1251'), b'\x98', 1)
write('page-windows-1251-undefined-byte.html', data,
      '# A page declared Windows-1251 with byte 0x98, which is no character of it: libxml2 stops reading there.\n'
      'refused 0 the page has bytes that are no characters of the character set it declares (windows-1251)')
data = page(ru_body, title=RU_TITLE, head='')
bad = data.replace('МНЭ'.encode(), 'МНЭ'.encode('cp1251'))
at = bad.index('МНЭ'.encode('cp1251'))
write('page-invalid-utf8-no-charset.html', bad,
      '# A page in UTF-8 but for one word in Windows-1251, with no character set declared.\n'
      'refused %d invalid UTF-8 (byte 0x%02x at offset %d) and the page declares no character set; save it as UTF-8'
      % (line_of(bad, 'МНЭ'.encode('cp1251')), bad[at], at))
bad = page(ru_body, title=RU_TITLE).replace('МНЭ'.encode(), 'МНЭ'.encode('cp1251'))
at = bad.index('МНЭ'.encode('cp1251'))
write('page-invalid-utf8-declared-utf8.html', bad,
      '# A page declared UTF-8 with one word in Windows-1251: never read as another character set (libxml2 would\n'
      '# read it all as Latin-1).\n'
      'refused %d invalid UTF-8 (byte 0x%02x at offset %d) although the page declares UTF-8; save it as UTF-8'
      % (line_of(bad, 'МНЭ'.encode('cp1251')), bad[at], at))
bad = page(ru_body, title=RU_TITLE, head='<meta charset="x-klingon">').replace('МНЭ'.encode(), 'МНЭ'.encode('cp1251'))
at = bad.index('МНЭ'.encode('cp1251'))
write('page-unknown-charset.html', bad,
      '# A page in a character set that does not exist.\n'
      'refused %d invalid UTF-8 (byte 0x%02x at offset %d), and merzim cannot read the character set the page '
      'declares ("x-klingon")' % (line_of(bad, 'МНЭ'.encode('cp1251')), bad[at], at))

# Bytes that are not text.
m1 = measure(1)
data = SEED_PAGE.replace('ИИДМ, ҰЭМ'.encode(), 'ИИДМ\0, ҰЭМ'.encode(), 1)
write('page-nul-in-cell.html', data, '# A NUL byte in the executors of measure 1.\n'
      'refused %d NUL byte in the page' % line_of(data, b'\0'))
data = SEED_PAGE.replace('ИИДМ, ҰЭМ'.encode(), 'ИИДМ\x1b[2J\x1b]0;pwned\x07, ҰЭМ'.encode(), 1)
write('page-escape-in-cell.html', data, '# Terminal escape sequences in the executors of measure 1.\n'
      'refused %d control character U+001B in the text' % line_of(data, b'\x1b'))
data = SEED_PAGE.replace('ИИДМ, ҰЭМ'.encode(), 'ИИДМ&#x1b;[2J, ҰЭМ'.encode(), 1)
write('page-escape-reference-in-cell.html', data, '# An escape written as a character reference (&#x1b;): '
      'libxml2 drops it, as it is no character of a document.\nimported\nmeasures 33\nagency ИИДМ[2J')
data = SEED_PAGE.replace('ҚҚС есепке'.encode(), 'ҚҚС \u009b2J есепке'.encode(), 1)
write('page-c1-control-in-cell.html', data, '# U+009B, the one-character CSI, in a measure name.\n'
      'refused %d control character U+009B' % line_of(data, '\u009b'.encode()))
data = SEED_PAGE.replace('ИИДМ, ҰЭМ'.encode(), 'ИИДМ\b\b\b\bҰЭМ'.encode(), 1)
write('page-backspace-in-cell.html', data, '# Backspaces that would hide an executor on a terminal.\n'
      'refused %d control character U+0008' % line_of(data, b'\b'))

# What a page holds that is not its text.
fake = html_table([ROWS[0], ['1.', 'Жалған шара', 'жалған', '2022 жылғы маусым', 'ЖАЛҒАН']])
data = page(head='<meta charset="utf-8">\n<style>td::after { content: "ЖАЛҒАН-СТИЛЬ | x | y"; }</style>\n'
            '<script>document.write(%r);</script>' % fake.replace('\n', ''),
            body=html_before() + '\n<script>var t = "<table><tr><td>1.<td>СКРИПТ</table>";</script>\n'
            '<noscript>%s</noscript>\n' % fake + html_table(edit=lambda i, r: i == m1 and html_cells(
                r[:4] + [r[4]]).replace('</td></tr>', '<script>document.write("СКРИПТ")</script>'
                                        '<style>.x{}</style></td></tr>')))
write('page-script-style.html', data, '# Scripts, styles and noscript with tables and agencies in them: never read.\n'
      'imported\nmeasures 33\nagency ИИДМ\nno-agency ЖАЛҒАН\nno-agency СКРИПТ')
data = page(body='<table class="layout"><tr><td class="menu"><ul><li>Басты бет</li><li>Құжаттар</li></ul></td>\n'
            '<td class="content">\n' + html_before() + '\n' + html_table() + '\n</td></tr></table>')
write('page-layout-table.html', data, '# The plan inside a cell of a table that lays out the page.\n'
      'imported\nmeasures 33\nagency ИИДМ')
bomb = ('<!DOCTYPE html [\n<!ENTITY lol "lol">\n' +
        ''.join('<!ENTITY lol%d "%s">\n' % (i, ('&lol%s;' % (i - 1 if i > 1 else '')) * 10) for i in range(1, 10)) +
        ']>\n')
data = page().replace(b'<!DOCTYPE html>\n', bomb.encode(), 1).replace('ИИДМ, ҰЭМ'.encode(), 'ИИДМ, &lol9;'.encode(), 1)
write('page-entity-bomb.html', data, '# A DTD of entities that would expand to 10^9 "lol"s: the HTML parser never '
      'expands them.\nimported\nmeasures 33\nagency ИИДМ\nno-agency lollol')
data = page(body='<p>%s</p>\n<table></table>\n<table><tbody></tbody></table>' % esc(TITLE))
write('page-table-no-rows.html', data, '# A title and tables without rows.\n'
      'refused %d no table found' % line_of(data, b'<p>'))
data = page(table='<table></table>\n' + html_table())
write('page-table-no-rows-before.html', data, '# An empty table before the plan\'s.\nimported\nmeasures 33')
unclosed = html_table().replace('</td>', '').replace('</tr>', '').replace('</table>', '')
data = ('<html><head><meta charset="utf-8"><body>\n' + html_before().replace('</p>', '') + '\n<b><i>\n' +
        unclosed + '\n').encode()
write('page-unclosed-tags.html', data, '# No closing tags anywhere: the parser closes them as a browser does.\n'
      'imported\nmeasures 33\nagency ИИДМ')


# Markup that would take libxml2 minutes (attributes are checked against each other) or gigabytes.
data = page(table=html_table(edit=lambda i, r: i == m1 and html_cells(r).replace(
    '<td>', '<td %s>' % ' '.join('a%d' % k for k in range(100000)), 1)))
write('page-attributes-100000.html', data, '# A cell with 100,000 attributes.\n'
      'refused %d an element has more than 256 attributes' % line_of(data, b'a99999'))
data = page(body='<p>%s</p>\n' % esc(TITLE) + '<i>' * 1100000 + '\n' + html_table())
write('page-elements-1100000.html', data, '# 1.1 million elements before the plan.\n'
      'refused 0 the document has more markup than merzim reads (more than 1000000 tags and attributes)')


# --- Word documents, built as Word lays them out: [Content_Types].xml, _rels/.rels, word/document.xml
W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'wordprocessingml.document.main+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>')


def xesc(s):
    return html.escape(s, quote=True)


def w_p(text):
    return '<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % xesc(text)


def w_tc(text, pr=''):
    return '<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/>%s</w:tcPr>%s</w:tc>' % (pr, w_p(text))


def w_row(cells):
    if len(cells) == 1:
        return '<w:tr>%s</w:tr>' % w_tc(cells[0], '<w:gridSpan w:val="5"/>')
    return '<w:tr>' + ''.join(w_tc(c) for c in cells) + '</w:tr>'


def w_table(rows, edit=None, cols=5):
    return ('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>' + '<w:gridCol w:w="1800"/>' * cols +
            '</w:tblGrid>' + ''.join((edit and edit(i, r)) or w_row(r) for i, r in enumerate(rows)) + '</w:tbl>')


def w_body(edit=None):
    parts = [w_p(t) for kind, t in before if kind == 'p']
    parts.append(w_table([c for kind, c in before if kind == 'row'], cols=2))
    parts.append(w_p(TITLE))
    parts.append(w_table(ROWS, edit))
    return ''.join(parts)


def document_xml(body, prolog=''):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n%s<w:document xmlns:w="%s"><w:body>%s'
            '<w:sectPr/></w:body></w:document>' % (prolog, W, body)).encode()


def zip_bytes(entries):
    """A zip of (name, bytes) entries, deflated, with fixed dates so that every run writes the same bytes."""
    path = os.path.join(out, '.zip.tmp')
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    data = open(path, 'rb').read()
    os.unlink(path)
    return data


def docx(document, extra=()):
    return zip_bytes([('[Content_Types].xml', CONTENT_TYPES.encode()), ('_rels/.rels', RELS.encode()),
                      ('word/document.xml', document)] + list(extra))


SEED_DOCX = docx(document_xml(w_body()))
write('word-seed.docx', SEED_DOCX, '# The seed plan as a Word document.\nimported\nmeasures 33\nagency ИИДМ\nagency ҰЭМ')

if shutil.which('pandoc'):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'seed.html')
        with open(src, 'wb') as f:
            f.write(SEED_PAGE)
        subprocess.run(['pandoc', '--from=html', '--to=docx', '-o', os.path.join(tmp, 'seed.docx'), src], check=True,
                       env=dict(os.environ, SOURCE_DATE_EPOCH='0'))
        write('word-seed-pandoc.docx', open(os.path.join(tmp, 'seed.docx'), 'rb').read(),
              '# The seed page converted to Word by pandoc.\nimported\nmeasures 33\nagency ИИДМ')
else:
    print('make-documents.py: no pandoc, word-seed-pandoc.docx left as it is', file=sys.stderr)

# Zip bombs: 10 GB of zeros deflated to 10 MB; headers that lie about the size.
BOMB = 10 * 10**9
path = os.path.join(out, 'word-zip-bomb.docx')
with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr(zipfile.ZipInfo('[Content_Types].xml', (1980, 1, 1, 0, 0, 0)), CONTENT_TYPES, zipfile.ZIP_DEFLATED)
    z.writestr(zipfile.ZipInfo('_rels/.rels', (1980, 1, 1, 0, 0, 0)), RELS, zipfile.ZIP_DEFLATED)
    info = zipfile.ZipInfo('word/document.xml', (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, 'w', force_zip64=True) as f:
        start = document_xml('').split(b'<w:sectPr/>')[0] + b'<w:p><w:r><w:t>'
        f.write(start)
        chunk, left = b'0' * (1 << 24), BOMB - len(start)
        while left > 0:
            f.write(chunk[:left])
            left -= len(chunk)
with open(os.path.join(out, 'word-zip-bomb.expect'), 'w') as f:
    f.write('# A word/document.xml of 10 GB of zeros, deflated to 10 MB: refused after 32 MiB, never unpacked whole.\n'
            'refused 0 the document\'s text unpacks to more than 32 MiB\n')


def patch_sizes(data, name, size):
    """The zip with the uncompressed size of entry name set to size in its local and central headers."""
    b = bytearray(data)
    n = name.encode()
    at = b.index(b'PK\x03\x04' + b'\0' * 0, 0)
    while True:  # local headers
        at = b.index(b'PK\x03\x04', at)
        nlen = int.from_bytes(b[at + 26:at + 28], 'little')
        if b[at + 30:at + 30 + nlen] == n:
            b[at + 22:at + 26] = size.to_bytes(4, 'little')
            break
        at += 4
    at = 0
    while True:  # central directory
        at = b.index(b'PK\x01\x02', at)
        nlen = int.from_bytes(b[at + 28:at + 30], 'little')
        if b[at + 46:at + 46 + nlen] == n:
            b[at + 24:at + 28] = size.to_bytes(4, 'little')
            break
        at += 4
    return bytes(b)


big = document_xml(w_body(), prolog='<!--' + ' ' * (64 << 20) + '-->\n')
write('word-zip-size-lie-small.docx', patch_sizes(docx(big), 'word/document.xml', 1024),
      '# A word/document.xml of 64 MiB whose headers say 1 KB: read as far as the bound.\n'
      'refused 0 the document\'s text unpacks to more than 32 MiB')
write('word-zip-size-lie-large.docx', patch_sizes(SEED_DOCX, 'word/document.xml', 0xfffffff0),
      '# The seed\'s word/document.xml, whose headers say 4 GB: the text is all there.\nimported\nmeasures 33')
write('word-zip-no-document.docx', zip_bytes([('[Content_Types].xml', CONTENT_TYPES.encode()), ('_rels/.rels', RELS.encode()),
                                         ('word/styles.xml', b'<w:styles/>')]),
      '# A zip without word/document.xml.\nrefused 0 a zip file that is not a Word document (.docx): it has no '
      'word/document.xml')
write('workbook.xlsx', zip_bytes([('[Content_Types].xml', CONTENT_TYPES.encode()), ('_rels/.rels', RELS.encode()),
                                  ('xl/workbook.xml', b'<workbook/>'), ('xl/worksheets/sheet1.xml', b'<worksheet/>')]),
      '# An Excel workbook.\nrefused 0 this is an Excel workbook (.xlsx): merzim reads a plan from a Word document')
write('word-truncated.docx', SEED_DOCX[:len(SEED_DOCX) // 2],
      '# The seed .docx cut in half, as an interrupted download leaves it.\n'
      'refused 0 a zip file merzim cannot open (Not a zip archive): save the plan again as .docx')

# XML attacks: entities, depth, spans.
laughs = ('<!DOCTYPE w:document [\n<!ENTITY lol "lol">\n' +
          ''.join('<!ENTITY lol%d "%s">\n' % (i, ('&lol%s;' % (i - 1 if i > 1 else '')) * 10) for i in range(1, 10)) +
          ']>\n')
write('word-billion-laughs.docx', docx(document_xml(w_p('&lol9;').replace('&amp;lol9;', '&lol9;') + w_body(),
                                               prolog=laughs).replace(b'&amp;lol9;', b'&lol9;')),
      '# A DTD of entities that expand to 10^9 "lol"s.\nrefused 0 the .docx declares a DTD, which Word never writes')
write('word-nested-xml-100000.docx', docx(document_xml('<w:sdt><w:sdtContent>' * 100000 + w_body() +
                                                  '</w:sdtContent></w:sdt>' * 100000)),
      '# The body inside 100,000 nested content controls.\n'
      'refused 0 the document is nested more than 256 elements deep')
sec = next(i for i, r in enumerate(ROWS) if len(r) == 1 and i > measure(1))
write('word-gridspan-100000.docx', docx(document_xml(w_body(lambda i, r: i == sec and '<w:tr>%s</w:tr>' % w_tc(
    r[0], '<w:gridSpan w:val="100000"/>')))),
      '# A section title spread over 100,000 grid columns: as many as merzim reads.\nimported\nmeasures 33')
write('word-vmerge-no-start.docx', docx(document_xml(w_body(lambda i, r: i == 0 and '<w:tr>' + w_tc(
    r[0], '<w:vMerge/>') + ''.join(w_tc(c) for c in r[1:]) + '</w:tr>'))),
      '# The header\'s first cell continues a vertical merge that never started.\nimported\nmeasures 33')
m18 = measure(18)
name = ('өнім ' * 582543).strip()
write('word-cell-5mb.docx', docx(document_xml(w_body(lambda i, r: i == m18 and w_row([r[0], name] + r[2:])))),
      '# A measure name of 5 MB.\nrefused 0 table 2, row %d: a cell is longer than merzim reads (column 2: %d bytes'
      % (m18 + 1, len(name.encode())))


def tracked(i, r):
    if i == len(ROWS) - 1:  # a measure 34 after the last, in a row deleted as a whole
        cells = ['34.', 'Жойылған шара', 'жойылған', '2023 жылғы маусым', 'ЖОЙЫЛҒАН']
        return (w_row(r) + '<w:tr><w:trPr><w:del w:id="4" w:author="A" w:date="2022-06-01T00:00:00Z"/></w:trPr>' +
                ''.join(w_tc(c) for c in cells) + '</w:tr>')
    if i != measure(1):
        return None
    deleted = ('<w:del w:id="1" w:author="A" w:date="2022-06-01T00:00:00Z"><w:r><w:delText>ЖОЙЫЛҒАН, </w:delText>'
               '</w:r></w:del>')
    moved = ('<w:moveFrom w:id="2" w:author="A" w:date="2022-06-01T00:00:00Z"><w:r><w:t>КӨШІРІЛГЕН, </w:t></w:r>'
             '</w:moveFrom>')
    inserted = '<w:ins w:id="3" w:author="A" w:date="2022-06-01T00:00:00Z"><w:r><w:t>ҚОСЫЛҒАН, </w:t></w:r></w:ins>'
    executors = ('<w:tc><w:tcPr/><w:p>%s%s%s<w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p></w:tc>'
                 % (deleted, moved, inserted, xesc(r[4])))
    return '<w:tr>' + ''.join(w_tc(c) for c in r[:4]) + executors + '</w:tr>'


write('word-tracked-changes.docx', docx(document_xml(w_body(tracked))),
      '# Tracked changes in the executors of measure 1: deleted and moved-away text is not read, inserted text is;\n'
      '# a row deleted after the last measure is not read either.\n'
      'imported\nmeasures 33\nagency ИИДМ\nagency ҚОСЫЛҒАН\nno-agency ЖОЙЫЛҒАН\nno-agency КӨШІРІЛГЕН')

write('word-attributes-100000.docx', docx(document_xml(w_body(lambda i, r: i == m1 and w_row(r).replace(
    '<w:tc>', '<w:tc %s>' % ' '.join('w:a%d="1"' % k for k in range(100000)), 1)))),
      '# A cell with 100,000 attributes.\nrefused 0 an element has more than 256 attributes')
write('word-elements-5000000.docx', docx(document_xml(w_body() + '<w:p/>' * 5000000)),
      '# 5 million empty paragraphs (40 KB zipped) after the plan.\n'
      'refused 0 the document has more markup than merzim reads (more than 1000000 tags and attributes)')

# Formats merzim does not read.
plain = '\n'.join(' | '.join(r) for r in ROWS[:5])
pdf = ('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n'
       '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n'
       '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n'
       '4 0 obj << /Length 44 >> stream\nBT /F1 12 Tf 72 770 Td (Plan of measures) Tj ET\nendstream endobj\n'
       'trailer << /Root 1 0 R >>\n%%EOF\n').encode()
write('printed-plan.pdf', pdf, '# A PDF file.\nrefused 0 this is a PDF file: merzim reads the plan\'s table from the web page '
      '(HTML), a Word document (.docx) or text; open the PDF in Word or LibreOffice and save it as .docx')
ole = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' + bytes(16) + b'\x3e\x00\x03\x00\xfe\xff\x09\x00' + bytes(512 - 32)
write('legacy.doc', ole + plain.encode('utf-16-le'),
      '# A Word 97-2003 document (OLE compound file).\nrefused 0 this is an old Word (.doc) or Excel (.xls) file: '
      'open it in Word or LibreOffice and save it as .docx')
rtf = '{\\rtf1\\ansi\\ansicpg1251\\deff0 {\\fonttbl {\\f0 Times New Roman;}}\n\\f0\\fs24 ' + ''.join(
    c if ord(c) < 128 else '\\u%d?' % ord(c) for c in plain).replace('\n', '\\par\n') + '}\n'
write('plan.rtf', rtf.encode(), '# An RTF file.\nrefused 0 this is an RTF file: open it in Word or LibreOffice and '
      'save it as .docx')
