/* Files carried inside the binaries: the schema migrations and the default calendar. */
#pragma once

struct embedded_file {
        const char *name;
        const char *text;
};

/* sql/NNN_*.sql in order, ended by { NULL, NULL }. */
extern const struct embedded_file embedded_migrations[];
/* conf/calendar-kz.conf. */
extern const struct embedded_file embedded_calendar[];
/* conf/templates/message.*.txt. */
extern const struct embedded_file embedded_templates[];
