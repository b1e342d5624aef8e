/* N1QL lexer and the syntax-tree arena (see n1ql_ast.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "n1ql_ast.h"

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
} arena_block;

struct n1ql_arena {
    arena_block *head;
};

n1ql_arena *n1ql_arena_new(void)
{
    return calloc(1, sizeof(n1ql_arena));
}

void n1ql_arena_free(n1ql_arena *a)
{
    if (a == NULL) {
        return;
    }
    while (a->head != NULL) {
        arena_block *b = a->head;
        a->head = b->next;
        free(b);
    }
    free(a);
}

void *n1ql_arena_alloc(n1ql_arena *a, size_t n)
{
    size_t align = sizeof(max_align_t);
    if (n > ((size_t)1 << 30)) {
        return NULL;
    }
    n = (n + align - 1) / align * align;
    if (n == 0) {
        n = align;
    }
    arena_block *b = a->head;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof(*b) + cap);
        if (b == NULL) {
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *n1ql_arena_strndup(n1ql_arena *a, const char *s, size_t n)
{
    char *r = n < ((size_t)1 << 30) ? n1ql_arena_alloc(a, n + 1) : NULL;
    if (r != NULL) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

typedef struct lexer {
    n1ql_arena *a;
    const char *s;
    size_t n, i;
    n1ql_token *toks;
    size_t ntoks, cap;
    char *err;
    size_t nerr;
} lexer;

static int fail(lexer *lx, const char *what)
{
    snprintf(lx->err, lx->nerr, "syntax error - %s at position %zu", what, lx->i);
    return -1;
}

static n1ql_token *push(lexer *lx, n1ql_tok_kind k, size_t start, size_t len)
{
    if (lx->ntoks == lx->cap) {
        size_t ncap = lx->cap ? lx->cap * 2 : 64;
        n1ql_token *nt = n1ql_arena_alloc(lx->a, ncap * sizeof(*nt));
        if (nt == NULL) {
            return NULL;
        }
        if (lx->ntoks > 0) {
            memcpy(nt, lx->toks, lx->ntoks * sizeof(*nt));
        }
        lx->toks = nt;
        lx->cap = ncap;
    }
    n1ql_token *t = &lx->toks[lx->ntoks++];
    memset(t, 0, sizeof(*t));
    t->kind = k;
    t->start = lx->s + start;
    t->len = len;
    return t;
}

/* Append one Unicode code point as UTF-8. */
static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

/* A quoted string or identifier: q is the quote char; escapes \" \\ \/ \b \f \n \r \t \uXXXX,
 * and a doubled quote stands for itself. */
static int lex_quoted(lexer *lx, char q, n1ql_tok_kind kind)
{
    size_t start = lx->i++;
    char *out = n1ql_arena_alloc(lx->a, lx->n - start + 1);
    size_t o = 0;
    if (out == NULL) {
        return -2;
    }
    for (;;) {
        if (lx->i >= lx->n) {
            return fail(lx, "unterminated quoted text");
        }
        char c = lx->s[lx->i++];
        if (c == q) {
            if (lx->i < lx->n && lx->s[lx->i] == q) {
                out[o++] = q;
                lx->i++;
                continue;
            }
            break;
        }
        if (c == '\\') {
            if (lx->i >= lx->n) {
                return fail(lx, "unterminated escape");
            }
            char e = lx->s[lx->i++];
            switch (e) {
            case 'n': out[o++] = '\n'; break;
            case 't': out[o++] = '\t'; break;
            case 'r': out[o++] = '\r'; break;
            case 'b': out[o++] = '\b'; break;
            case 'f': out[o++] = '\f'; break;
            case 'u': {
                unsigned cp = 0;
                for (int k = 0; k < 4; k++) {
                    char h = lx->i < lx->n ? lx->s[lx->i++] : 'x';
                    if (!isxdigit((unsigned char)h)) {
                        return fail(lx, "bad \\u escape");
                    }
                    cp = cp * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
                }
                if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
                    return fail(lx, "unsupported \\u escape");
                }
                o += put_utf8(out + o, cp); /* 6 input bytes >= 3 output bytes */
                break;
            }
            default: out[o++] = e; break;
            }
            continue;
        }
        if (c == '\0') {
            return fail(lx, "NUL byte in quoted text");
        }
        out[o++] = c;
    }
    out[o] = '\0';
    n1ql_token *t = push(lx, kind, start, lx->i - start);
    if (t == NULL) {
        return -2;
    }
    t->text = out;
    return 0;
}

static int lex_number(lexer *lx)
{
    size_t start = lx->i;
    int is_int = 1;
    while (lx->i < lx->n && isdigit((unsigned char)lx->s[lx->i])) {
        lx->i++;
    }
    if (lx->i < lx->n && lx->s[lx->i] == '.' && lx->i + 1 < lx->n && isdigit((unsigned char)lx->s[lx->i + 1])) {
        is_int = 0;
        lx->i++;
        while (lx->i < lx->n && isdigit((unsigned char)lx->s[lx->i])) {
            lx->i++;
        }
    }
    if (lx->i < lx->n && (lx->s[lx->i] == 'e' || lx->s[lx->i] == 'E')) {
        size_t j = lx->i + 1;
        if (j < lx->n && (lx->s[j] == '+' || lx->s[j] == '-')) {
            j++;
        }
        if (j < lx->n && isdigit((unsigned char)lx->s[j])) {
            is_int = 0;
            lx->i = j;
            while (lx->i < lx->n && isdigit((unsigned char)lx->s[lx->i])) {
                lx->i++;
            }
        }
    }
    n1ql_token *t = push(lx, TK_NUMBER, start, lx->i - start);
    char *txt = t != NULL ? n1ql_arena_strndup(lx->a, lx->s + start, lx->i - start) : NULL;
    if (txt == NULL) {
        return -2;
    }
    t->text = txt;
    t->num = strtod(txt, NULL);
    if (is_int) {
        errno = 0;
        t->inum = strtoll(txt, NULL, 10);
        t->is_int = errno == 0;
    }
    return 0;
}

static int is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static int is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int lex_param(lexer *lx)
{
    size_t start = lx->i++;
    if (lx->i < lx->n && isdigit((unsigned char)lx->s[lx->i])) {
        size_t pos = 0;
        while (lx->i < lx->n && isdigit((unsigned char)lx->s[lx->i])) {
            pos = pos * 10 + (size_t)(lx->s[lx->i++] - '0');
            if (pos > 100000) {
                return fail(lx, "positional parameter number too large");
            }
        }
        if (pos == 0) {
            return fail(lx, "positional parameters start at $1");
        }
        n1ql_token *t = push(lx, TK_PARAM_POS, start, lx->i - start);
        if (t == NULL) {
            return -2;
        }
        t->pos = pos;
        return 0;
    }
    if (lx->i >= lx->n || !is_ident_start(lx->s[lx->i])) {
        return fail(lx, "bad parameter name after '$'");
    }
    while (lx->i < lx->n && is_ident_char(lx->s[lx->i])) {
        lx->i++;
    }
    n1ql_token *t = push(lx, TK_PARAM_NAMED, start, lx->i - start);
    if (t == NULL || (t->text = n1ql_arena_strndup(lx->a, lx->s + start + 1, lx->i - start - 1)) == NULL) {
        return -2;
    }
    return 0;
}

static const struct {
    const char *s;
    n1ql_tok_kind k;
} puncts[] = {
    {"==", TK_EQ}, {"!=", TK_NE}, {"<>", TK_NE}, {"<=", TK_LE}, {">=", TK_GE}, {"||", TK_CONCAT},
    {"(", TK_LPAREN}, {")", TK_RPAREN}, {"[", TK_LBRACKET}, {"]", TK_RBRACKET}, {"{", TK_LBRACE},
    {"}", TK_RBRACE}, {",", TK_COMMA}, {".", TK_DOT}, {":", TK_COLON}, {"*", TK_STAR}, {"+", TK_PLUS},
    {"-", TK_MINUS}, {"/", TK_SLASH}, {"%", TK_PERCENT}, {"=", TK_EQ}, {"<", TK_LT}, {">", TK_GT},
    {"?", TK_QMARK}, {";", TK_SEMI},
};

static int skip_space_and_comments(lexer *lx)
{
    for (;;) {
        while (lx->i < lx->n && isspace((unsigned char)lx->s[lx->i])) {
            lx->i++;
        }
        if (lx->n - lx->i >= 2 && lx->s[lx->i] == '-' && lx->s[lx->i + 1] == '-') {
            while (lx->i < lx->n && lx->s[lx->i] != '\n') {
                lx->i++;
            }
        } else if (lx->n - lx->i >= 2 && lx->s[lx->i] == '/' && lx->s[lx->i + 1] == '*') {
            const char *e = NULL;
            for (size_t j = lx->i + 2; j + 1 < lx->n; j++) {
                if (lx->s[j] == '*' && lx->s[j + 1] == '/') {
                    e = lx->s + j;
                    break;
                }
            }
            if (e == NULL) {
                return fail(lx, "unterminated comment");
            }
            lx->i = (size_t)(e - lx->s) + 2;
        } else {
            return 0;
        }
    }
}

int n1ql_lex(n1ql_arena *a, const char *text, size_t n, n1ql_token **toks, size_t *ntoks, char *err,
             size_t nerr)
{
    lexer lx = {a, text, n, 0, NULL, 0, 0, err, nerr};
    if (n > MOCK_N1QL_MAX_STATEMENT) {
        snprintf(err, nerr, "statement too long (limit %d bytes)", MOCK_N1QL_MAX_STATEMENT);
        return -1;
    }
    for (;;) {
        int rc = skip_space_and_comments(&lx);
        if (rc != 0) {
            return rc;
        }
        if (lx.i >= n) {
            break;
        }
        char c = text[lx.i];
        if (c == '"' || c == '\'') {
            rc = lex_quoted(&lx, c, TK_STRING);
        } else if (c == '`') {
            rc = lex_quoted(&lx, c, TK_QIDENT);
        } else if (isdigit((unsigned char)c)) {
            rc = lex_number(&lx);
        } else if (c == '$') {
            rc = lex_param(&lx);
        } else if (is_ident_start(c)) {
            size_t start = lx.i;
            while (lx.i < n && is_ident_char(text[lx.i])) {
                lx.i++;
            }
            n1ql_token *t = push(&lx, TK_IDENT, start, lx.i - start);
            rc = t == NULL || (t->text = n1ql_arena_strndup(a, text + start, lx.i - start)) == NULL ? -2 : 0;
        } else {
            size_t k;
            for (k = 0; k < sizeof(puncts) / sizeof(puncts[0]); k++) {
                size_t pl = strlen(puncts[k].s);
                if (n - lx.i >= pl && memcmp(text + lx.i, puncts[k].s, pl) == 0) {
                    rc = push(&lx, puncts[k].k, lx.i, pl) == NULL ? -2 : 0;
                    lx.i += pl;
                    break;
                }
            }
            if (k == sizeof(puncts) / sizeof(puncts[0])) {
                rc = fail(&lx, "unexpected character");
            }
        }
        if (rc != 0) {
            return rc;
        }
    }
    if (push(&lx, TK_EOF, n, 0) == NULL) {
        return -2;
    }
    *toks = lx.toks;
    *ntoks = lx.ntoks;
    return 0;
}
