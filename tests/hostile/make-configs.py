#!/usr/bin/env python3
# Generates tests/hostile/configs/: hostile merzim.conf files, each with NAME.expect.
# tests/test-hostile.c runs them; the files are kept in git, this is how they were made. To add a case,
# add it here and run, from the top of the tree:
#   tests/hostile/make-configs.py tests/hostile/configs
import os, random, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

BASE = '''# A valid configuration; the hostile ones change one thing in it.
database = "merzim.db";
timezone = "Asia/Almaty";
effective_due = "preceding";
language = "kk";

schedule = {
        send_time = "09:00";
        reminders = [30, 7, 1];
        due_notice = true;
        escalate_after_days = 7;
        escalate_repeat_days = 30;
        catch_up = "digest";
};

delivery = {
        max_attempts = 8;
        retry_initial_seconds = 60;
        max_parallel = 16;
};

smtp = {
        url = "smtp://127.0.0.1:25";
        tls = "try";
        from = "merzim <merzim@localhost>";
};

plans = (
        {
                title = "Машина жасауды дамытудың 2024 жылға дейінгі жол картасы";
                coordinator = "ИИДМ";
                supervisor = "ПМК";
        }
);

agencies = (
        {
                code = "ИИДМ";
                name = "Индустрия және инфрақұрылымдық даму министрлігі";
                email = ["roadmap@miid.example.kz"];
                language = "kk";
        },
        {
                code = "ПМК";
                name = "Премьер-Министрінің Кеңсесі";
                email = "control@primeminister.example.kz";
                language = "ru";
        }
);
'''

def lineof(text, needle):
    i = text.index(needle)
    return text[:i].count('\n') + 1

def write(name, data, expect):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(out, name + '.conf'), 'wb') as f:
        f.write(data)
    with open(os.path.join(out, name + '.expect'), 'w', encoding='utf-8') as f:
        f.write(expect.rstrip('\n') + '\n')

def replace(old, new):
    assert old in BASE, old
    return BASE.replace(old, new, 1)

def refuse_at(name, old, new, why, text, needle=None, extra=''):
    data = replace(old, new)
    ln = lineof(data, needle if needle else new.split('\n')[0])
    write(name, data, '# %s\nrefused %d %s%s' % (why, ln, text, extra))

write('valid', BASE, '# The configuration the others are made from: accepted.\naccepted')

# --- not libconfig at all
write('empty', '', '# An empty file: every setting has its default.\naccepted')
write('bom-only', b'\xef\xbb\xbf', '# Only a byte order mark: an empty file as Notepad saves it.\naccepted')
write('bom-valid', b'\xef\xbb\xbf' + BASE.encode(), '# The valid configuration after a byte order mark.\naccepted')
rnd = random.Random(7)
write('binary-junk', b'\xff' + bytes(rnd.choice([b for b in range(1, 256) if b != 10]) for _ in range(4096)), '# Random bytes, no NUL or newline.\nrefused 1 invalid UTF-8 (byte 0xff)')
write('binary-elf', b'\x7fELF\x02\x01\x01\x00' + bytes(rnd.randrange(256) for _ in range(4096)), '# The start of an executable.\nrefused 1 NUL byte')
write('nul-bytes', b'timezone = "Asia/Almaty";\ndatabase = "a\x00b.db";\n', '# A NUL byte inside a string: libconfig would cut the string there.\nrefused 2 NUL byte')
write('invalid-utf8', BASE.encode('cp1251', 'replace'), '# The file saved in Windows-1251.\nrefused %d invalid UTF-8' % lineof(BASE, 'Машина'))
write('truncated', BASE[:BASE.index('        max_parallel')], '# Cut off inside the delivery group.\nrefused %d syntax error' % (BASE[:BASE.index('        max_parallel')].count('\n') + 1))
write('unterminated-string', 'database = "merzim.db;\ntimezone = "Asia/Almaty";\n', '# A string that never ends.\nrefused 2 syntax error')
write('json', '{"database": "merzim.db", "timezone": "Asia/Almaty"}\n', '# JSON is not libconfig.\nrefused 1 syntax error')
write('nested-groups-deep', 'deep = ' + '{ a = ' * 20000 + '1;' + ' };' * 20000 + '\n',
      '# Groups nested 20,000 deep: more than libconfig\'s parser stack holds.\nrefused 1 memory exhausted')
write('nested-lists-deep', 'deep = ' + '( ' * 20000 + ')' * 20000 + ';\n',
      '# Lists nested 20,000 deep.\nrefused 1 memory exhausted')
write('nested-groups-known', 'schedule = { schedule = { schedule = { send_time = "09:00"; }; }; };\n',
      '# A known group nested in itself.\nrefused 1 unknown setting "schedule" in schedule')

# --- includes
write('include-shadow', 'database = "merzim.db";\n@include "/etc/shadow"\n',
      '# An include of a file no configuration should read.\nrefused 2 @include')
write('include-missing', 'database = "merzim.db";\n\n@include "/nonexistent/merzim-extra.conf"\n',
      '# An include of a file that does not exist.\nrefused 3 @include')
write('include-self', '@include "include-self.conf"\n', '# A file that includes itself.\nrefused 1 @include')
write('include-indented', 'database = "merzim.db";\n   \t@include "/etc/passwd"\n', '# An indented include.\nrefused 2 @include')

write('include-directory', 'database = "merzim.db";\n@include "/tmp"\n',
      '# An include of a directory: libconfig 1.5 would exit the process ("input in flex scanner failed").\nrefused 2 @include')
write('bare-string', '""\n', '# A string where a setting should be (libconfig 1.5 leaks it: tests/hostile/lsan.supp).\nrefused 1 syntax error')

# --- settings of the wrong type
refuse_at('database-int', 'database = "merzim.db";', 'database = 42;', 'The database as an integer.', '"database" must be a string')
refuse_at('schedule-string', 'schedule = {', 'schedule = "daily";\nschedule_unused = {', 'A group given as a string.', 'schedule must be a group')
refuse_at('reminders-string', 'reminders = [30, 7, 1];', 'reminders = "30, 7, 1";', 'Reminders as a string.', 'reminders must be an array')
refuse_at('reminders-float', 'reminders = [30, 7, 1];', 'reminders = [30.5];', 'A fractional reminder.', 'reminder days must be integers')
refuse_at('reminders-too-many', 'reminders = [30, 7, 1];', 'reminders = [%s];' % ', '.join(str(i) for i in range(1, 21)), 'Twenty reminders.', 'at most 16 reminders')
refuse_at('due-notice-string', 'due_notice = true;', 'due_notice = "yes";', 'A boolean as a string.', '"due_notice" must be true or false')
refuse_at('max-attempts-float', 'max_attempts = 8;', 'max_attempts = 8.0;', 'An integer as a float.', '"max_attempts" must be an integer')
refuse_at('agencies-group', 'agencies = (', 'agencies = {\n        x = 1;\n};\nunused = (', 'Agencies as a group.', 'agencies must be a list')
refuse_at('agency-string', '        {\n                code = "ПМК";', '        "ПМК",\n        {\n                code = "ПМК";', 'An agency given as a bare string.', 'each of agencies must be a group', needle='"ПМК",')
refuse_at('email-int', 'email = "control@primeminister.example.kz";', 'email = 42;', 'An e-mail address as an integer.', 'must be a string or an array of strings')
refuse_at('email-array-mixed', 'email = ["roadmap@miid.example.kz"];', 'email = [5, 6];', 'An array of integers for addresses: not silently an agency without e-mail.', 'must be a string or an array of strings')
refuse_at('plan-years-strings', '                supervisor = "ПМК";', '                supervisor = "ПМК";\n                years = ["2022", "2024"];', 'Years as strings.', 'years', needle='years =')

# --- unknown keys and duplicates
refuse_at('unknown-key', 'language = "kk";', 'language = "kk";\ndatabse = "typo.db";', 'A misspelt setting.', 'unknown setting "databse" in the configuration', needle='databse')
refuse_at('unknown-key-in-agency', '                language = "ru";', '                language = "ru";\n                bcc = "evil@x";', 'An unknown key in an agency.', 'unknown setting "bcc" in an agency', needle='bcc')
refuse_at('duplicate-setting', 'language = "kk";', 'language = "kk";\ndatabase = "other.db";', 'The database set twice.', 'duplicate setting', needle='database = "other.db"')
refuse_at('duplicate-agency', '                code = "ПМК";', '                code = "ИИДМ";', 'The same agency configured twice.', 'agency ИИДМ is configured twice', needle='        {\n                code = "ИИДМ";\n                name = "Премьер')

# --- numbers out of range
refuse_at('int-negative', 'max_attempts = 8;', 'max_attempts = -1;', 'A negative number of attempts.', '"max_attempts" = -1 is out of range')
refuse_at('int-huge', 'max_parallel = 16;', 'max_parallel = 9223372036854775807L;', 'The largest 64-bit integer.', '"max_parallel" = 9223372036854775807 is out of range')
refuse_at('int-overflow', 'max_parallel = 16;', 'max_parallel = 99999999999999999999999;', 'An integer no type can hold.', 'max_parallel')
refuse_at('int-hex-huge', 'retry_initial_seconds = 60;', 'retry_initial_seconds = 0xFFFFFFFFFFFFFFFF;', 'A hexadecimal integer of 64 bits.', 'retry_initial_seconds')
refuse_at('reminder-zero', 'reminders = [30, 7, 1];', 'reminders = [30, 0, -7];', 'Reminders of 0 and -7 days.', 'reminder days must be integers from 1 to 366')
refuse_at('send-time-bad', 'send_time = "09:00";', 'send_time = "25:99";', 'A time that does not exist.', 'send_time "25:99" is not HH:MM')
refuse_at('plan-years-absurd', '                supervisor = "ПМК";', '                supervisor = "ПМК";\n                years = [0, 99999];', 'Years 0 to 99999.', 'is not a range of years', needle='years =')
refuse_at('plan-years-reversed', '                supervisor = "ПМК";', '                supervisor = "ПМК";\n                years = [2024, 2019];', 'A reversed range of years.', 'is not a range of years', needle='years =')

# --- long strings
big = 'A' * (1 << 20)
refuse_at('string-1mb-timezone', 'timezone = "Asia/Almaty";', 'timezone = "%s";' % big, 'A time zone of 1 MB.', '"timezone" is too long (1048576 bytes')
refuse_at('string-1mb-language', 'language = "kk";', 'language = "%s";' % big[:65536], 'A language of 64 KB.', '"language" is too long')
refuse_at('timezone-traversal', 'timezone = "Asia/Almaty";', 'timezone = "../../../etc/shadow";', 'A time zone that climbs out of the tz database.', 'unknown time zone')

# --- agencies: addresses, names and codes that try to become headers
refuse_at('email-angle-injection', 'email = ["roadmap@miid.example.kz"];', 'email = ["a@b>, <c@d"];', 'Two addresses smuggled into one.', 'is not an e-mail address')
refuse_at('email-crlf-bcc', 'email = ["roadmap@miid.example.kz"];', 'email = ["roadmap@miid.example.kz\\r\\nBcc: evil@x"];', 'A header after CRLF in an address.', '"email" has a control character (U+000D)')
refuse_at('email-no-at', 'email = ["roadmap@miid.example.kz"];', 'email = ["roadmap"];', 'An address without @.', '"roadmap" is not an e-mail address')
refuse_at('agency-name-crlf', 'name = "Премьер-Министрінің Кеңсесі";', 'name = "Кеңсе\\r\\nBcc: evil@x";', 'CR and LF in the name of an agency.', '"name" has a control character (U+000D)')
refuse_at('agency-code-crlf', 'code = "ПМК";', 'code = "ИИДМ\\r\\nBcc: evil@x";', 'CR and LF in the code of an agency.', '"code" has a control character (U+000D)')
refuse_at('agency-no-code', '                code = "ПМК";\n', '', 'An agency without a code.', 'an agency needs a code', needle='        {\n                name = "Премьер')
refuse_at('agency-language', 'language = "ru";', 'language = "de";', 'A language merzim has no templates for.', 'language "de" of agency ПМК is not kk, ru or en')
refuse_at('smtp-from-crlf', 'from = "merzim <merzim@localhost>";', 'from = "merzim@localhost\\r\\nBcc: evil@x";', 'A header after CRLF in From.', '"from" has a control character (U+000D)')
refuse_at('smtp-helo-crlf', 'tls = "try";', 'tls = "try";\n        helo_name = "mx1.example.kz\\r\\nMAIL FROM:<evil@x>";', 'A second command after CRLF in the EHLO name.', '"helo_name" has a control character (U+000D)', needle='helo_name')
refuse_at('smtp-helo-bare', 'tls = "try";', 'tls = "try";\n        helo_name = "vm";', 'An EHLO name that is not fully qualified: strict relays refuse it.', 'helo_name "vm" must be a fully-qualified domain name', needle='helo_name')
refuse_at('smtp-max-connections-zero', 'tls = "try";', 'tls = "try";\n        max_connections = 0;', 'No SMTP session at all.', '"max_connections" = 0 is out of range 1..64', needle='max_connections')
refuse_at('smtp-url-file', 'url = "smtp://127.0.0.1:25";', 'url = "file:///etc/shadow";', 'An SMTP URL with the file scheme.', 'smtp url must start with smtp:// or smtps://')

refuse_at('agency-name-escape', 'name = "Премьер-Министрінің Кеңсесі";', 'name = "\\x1b[2J\\x1b]0;pwned\\x07";', 'Terminal escapes in a name, written as libconfig escapes.', '"name" has a control character (U+001B)')
refuse_at('agency-name-escape-invalid-utf8', 'name = "Премьер-Министрінің Кеңсесі";', 'name = "\\xff\\xfe";', 'Bytes that are not UTF-8, written as libconfig escapes.', '"name" is not valid UTF-8')
refuse_at('hostname-long', 'language = "kk";', 'language = "kk";\nhostname = "%s.kz";' % ('h' * 5000), 'A host name of 5000 bytes for Message-IDs.', '"hostname" is too long', needle='hostname')
refuse_at('email-escape-esc', 'email = ["roadmap@miid.example.kz"];', 'email = ["road\\x1bmap@miid.example.kz"];', 'An escape character in an address.', '"email" has a control character (U+001B)')

# --- webhooks
WH = '                webhook = { url = "%s"; secret = "0123456789abcdef"; };\n'
for name, url, why, text in [
        ('webhook-file-scheme', 'file:///etc/shadow', 'A webhook with the file scheme.', 'needs an http:// or https:// url'),
        ('webhook-gopher', 'gopher://127.0.0.1:25/_HELO', 'A webhook with the gopher scheme.', 'needs an http:// or https:// url'),
        ('webhook-space', 'https://hooks example.kz/merzim', 'A webhook URL with a space.', 'is not a URL'),
        ('webhook-crlf', 'https://hooks.example.kz/\\r\\nX-Injected: 1', 'A webhook URL with CRLF.', '"url" has a control character (U+000D)'),
]:
    refuse_at(name, '                language = "ru";\n', '                language = "ru";\n' + WH % url, why, text, needle='webhook =')
refuse_at('webhook-no-secret', '                language = "ru";\n', '                language = "ru";\n                webhook = { url = "https://hooks.example.kz/m"; };\n', 'A webhook without a secret.', 'needs a secret', needle='webhook =')
refuse_at('webhook-string', '                language = "ru";\n', '                language = "ru";\n                webhook = "https://hooks.example.kz/m";\n', 'A webhook as a string.', 'must be a group', needle='webhook =')
refuse_at('secret-file-dev-zero', '                language = "ru";\n', '                language = "ru";\n                webhook = { url = "https://hooks.example.kz/m"; secret_file = "/dev/zero"; };\n', 'A secret file that never ends.', 'cannot read secret_file "/dev/zero": File too large', needle='webhook =', extra='\naccepted-by merzimctl')
refuse_at('secret-file-missing', '                language = "ru";\n', '                language = "ru";\n                webhook = { url = "https://hooks.example.kz/m"; secret_file = "/nonexistent/key"; };\n', 'A secret file that does not exist.', 'cannot read secret_file', needle='webhook =', extra='\naccepted-by merzimctl')

# --- files the configuration names
refuse_at('calendar-missing', 'effective_due = "preceding";', 'effective_due = "preceding";\ncalendar = "/nonexistent/calendar.conf";', 'A calendar file that does not exist.', 'cannot read the calendar "/nonexistent/calendar.conf"', needle='calendar =')

# --- accepted: odd but harmless
write('unicode-everywhere', replace('name = "Премьер-Министрінің Кеңсесі";', 'name = "Премьер-Министрінің Кеңсесі «ПМК» — ✓ 🇰🇿";'),
      '# Non-ASCII punctuation and emoji in a name: fine.\naccepted')
write('comments-only', '# nothing here\n// nor here\n/* nor\n   here */\n', '# Only comments: the defaults.\naccepted')
