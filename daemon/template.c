/* Message templates that operators can edit. */
#include "config.h"

#include <stdio.h>

#include "template.h"

enum node_type { NODE_TEXT, NODE_VALUE, NODE_SECTION, NODE_INVERTED };

struct node {
        enum node_type type;
        char *text; /* the text, or the name */
        struct node *children;
        size_t n_children;
};

struct template {
        struct node root;
};

/* Sections nest at most this deep: a message needs two or three levels, and rendering recurses. */
#define TEMPLATE_MAX_DEPTH 16

struct compiler {
        const char *name;
        int first_line; /* of text in its file */
        const char *start, *p;
        struct errlist *errs;
        size_t errors;
        bool stop; /* nested too deep: the rest is not compiled */
};

static int line_of(const struct compiler *c, const char *at) {
        int line = c->first_line;
        for (const char *q = c->start; q < at; q++)
                line += *q == '\n';
        return line;
}

static struct node *add_child(struct node *parent, enum node_type type, char *text) {
        parent->children = xreallocarray(parent->children, parent->n_children + 1, sizeof(struct node));
        struct node *n = &parent->children[parent->n_children++];
        *n = (struct node) {.type = type, .text = text};
        return n;
}

/* Whether the tag spanning [open, close) stands alone on its line; if so, widen it to the whole line. */
static bool standalone(const struct compiler *c, const char **open, const char **close) {
        const char *a = *open, *b = *close;
        while (a > c->start && (a[-1] == ' ' || a[-1] == '\t'))
                a--;
        if (a > c->start && a[-1] != '\n')
                return false;
        while (*b == ' ' || *b == '\t' || *b == '\r')
                b++;
        if (*b != '\n' && *b != 0)
                return false;
        *open = a;
        *close = *b ? b + 1 : b;
        return true;
}

/* Compile until the closing tag of section `closing` (NULL at the top level), depth sections deep. */
static void compile_into(struct compiler *c, struct node *parent, const char *closing, const char *opened_at,
                         int depth) {
        while (!c->stop) {
                const char *open = strstr(c->p, "{{");
                if (!open) {
                        if (*c->p)
                                add_child(parent, NODE_TEXT, xstrdup(c->p));
                        c->p += strlen(c->p);
                        if (closing) {
                                errlist_add(c->errs, c->name, line_of(c, opened_at), _("{{#%s}} is never closed"), closing);
                                c->errors++;
                        }
                        return;
                }
                const char *end = strstr(open + 2, "}}");
                if (!end) {
                        errlist_add(c->errs, c->name, line_of(c, open), _("\"{{\" without \"}}\""));
                        c->errors++;
                        c->p += strlen(c->p);
                        return;
                }
                char sigil = open[2];
                bool block = sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!';
                _cleanup_free_ char *raw = xstrndup(open + 2 + block, (size_t) (end - open - 2 - block));
                char *name = strstrip(raw);
                const char *tag_start = open, *tag_end = end + 2;
                if (block)
                        standalone(c, &tag_start, &tag_end);
                if (tag_start > c->p)
                        add_child(parent, NODE_TEXT, xstrndup(c->p, (size_t) (tag_start - c->p)));
                c->p = tag_end;

                if (sigil == '!')
                        continue;
                if (!block && strpbrk(name, "{}#^/ ")) {
                        errlist_add(c->errs, c->name, line_of(c, open), _("bad name in {{%s}}"), name);
                        c->errors++;
                        continue;
                }
                if (sigil == '/') {
                        if (closing && streq(name, closing))
                                return;
                        if (closing)
                                errlist_add(c->errs, c->name, line_of(c, open), _("{{/%s}} closes another section"),
                                            name);
                        else
                                errlist_add(c->errs, c->name, line_of(c, open), _("{{/%s}} closes nothing"), name);
                        c->errors++;
                        continue;
                }
                if ((sigil == '#' || sigil == '^') && depth >= TEMPLATE_MAX_DEPTH) {
                        errlist_add(c->errs, c->name, line_of(c, open),
                                    _("{{%c%s}}: sections are nested more than %d deep"), sigil, name, TEMPLATE_MAX_DEPTH);
                        c->errors++;
                        c->stop = true;
                        return;
                }
                if (sigil == '#' || sigil == '^') {
                        struct node *n = add_child(parent, sigil == '#' ? NODE_SECTION : NODE_INVERTED, xstrdup(name));
                        struct node section = *n;
                        compile_into(c, &section, section.text, open, depth + 1);
                        /* parent->children may have moved while compiling the section. */
                        parent->children[parent->n_children - 1] = section;
                        continue;
                }
                add_child(parent, NODE_VALUE, xstrdup(name));
        }
}

int template_compile(const char *text, const char *name, struct template **ret, struct errlist *errs) {
        return template_compile_at(text, name, 1, ret, errs);
}

int template_compile_at(const char *text, const char *name, int first_line, struct template **ret,
                        struct errlist *errs) {
        struct compiler c = {.name = name, .first_line = first_line, .start = text, .p = text, .errs = errs};
        struct template *t = xcalloc(1, sizeof(*t));
        compile_into(&c, &t->root, NULL, NULL, 0);
        if (c.errors) {
                template_free(t);
                *ret = NULL;
                return -EINVAL;
        }
        *ret = t;
        return 0;
}

/* Look a dotted name up through the context stack, innermost first. */
static json_t *lookup(json_t *const *stack, size_t depth, const char *name) {
        if (streq(name, "."))
                return stack[depth - 1];
        if (!strchr(name, '.')) {
                for (size_t i = depth; i > 0; i--) {
                        json_t *v = json_is_object(stack[i - 1]) ? json_object_get(stack[i - 1], name) : NULL;
                        if (v)
                                return v;
                }
                return NULL;
        }
        _cleanup_free_ char *copy = xstrdup(name);
        char *save, *first = strtok_r(copy, ".", &save);
        for (size_t i = depth; i > 0; i--) {
                json_t *v = json_is_object(stack[i - 1]) ? json_object_get(stack[i - 1], first) : NULL;
                if (!v)
                        continue;
                for (char *part = strtok_r(NULL, ".", &save); part && v; part = strtok_r(NULL, ".", &save))
                        v = json_object_get(v, part);
                return v;
        }
        return NULL;
}

static bool truthy(json_t *v) {
        if (!v || json_is_null(v) || json_is_false(v))
                return false;
        if (json_is_array(v))
                return json_array_size(v) > 0;
        if (json_is_string(v))
                return json_string_length(v) > 0;
        if (json_is_integer(v))
                return json_integer_value(v) != 0;
        return true;
}

static void render_nodes(const struct node *nodes, size_t n, json_t **stack, size_t depth, struct buf *out);

static void render_node(const struct node *node, json_t **stack, size_t depth, struct buf *out) {
        json_t *v;
        switch (node->type) {
        case NODE_TEXT:
                buf_puts(out, node->text);
                return;
        case NODE_VALUE:
                v = lookup(stack, depth, node->text);
                if (json_is_string(v))
                        buf_puts(out, json_string_value(v));
                else if (json_is_integer(v))
                        buf_printf(out, "%lld", (long long) json_integer_value(v));
                else if (json_is_real(v))
                        buf_printf(out, "%g", json_real_value(v));
                return;
        case NODE_INVERTED:
                if (!truthy(lookup(stack, depth, node->text)))
                        render_nodes(node->children, node->n_children, stack, depth, out);
                return;
        case NODE_SECTION:
                v = lookup(stack, depth, node->text);
                if (!truthy(v) || depth >= 30)
                        return;
                if (json_is_array(v)) {
                        size_t i;
                        json_t *e;
                        json_array_foreach(v, i, e) {
                                stack[depth] = e;
                                render_nodes(node->children, node->n_children, stack, depth + 1, out);
                        }
                } else if (json_is_object(v)) {
                        stack[depth] = v;
                        render_nodes(node->children, node->n_children, stack, depth + 1, out);
                } else {
                        render_nodes(node->children, node->n_children, stack, depth, out);
                }
                return;
        }
}

static void render_nodes(const struct node *nodes, size_t n, json_t **stack, size_t depth, struct buf *out) {
        for (size_t i = 0; i < n; i++)
                render_node(&nodes[i], stack, depth, out);
}

char *template_render(const struct template *t, json_t *data) {
        json_t *stack[32] = {data};
        struct buf out = {0};
        render_nodes(t->root.children, t->root.n_children, stack, 1, &out);
        return buf_steal(&out);
}

static void node_free(struct node *n) {
        for (size_t i = 0; i < n->n_children; i++)
                node_free(&n->children[i]);
        free(n->children);
        free(n->text);
}

void template_free(struct template *t) {
        if (!t)
                return;
        node_free(&t->root);
        free(t);
}
