/* Prints docs/errors.md from the status table (include/sofa/status.h).
 * The test core_errors_md fails when the file in the tree differs from this output;
 * regenerate with:  cmake --build build --target errors_md  */
#include <stdio.h>
#include <string.h>

#include "sofa/status.h"

typedef struct row {
    const char *name;
    int num;
    const char *msg;
} row;

static const row rows[] = {
#define ROW(name, num, cat, flags, msg) {"SOFA_" #name, num, msg},
    SOFA_STATUS_MAP(ROW)
#undef ROW
};

static void print_flags(unsigned f)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{SOFA_F_TRANSIENT, "transient"},
                 {SOFA_F_RETRYABLE, "retryable"},
                 {SOFA_F_AMBIGUOUS, "ambiguous"},
                 {SOFA_F_FATAL, "fatal"}};
    int any = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (f & names[i].bit) {
            printf("%s%s", any ? ", " : "", names[i].name);
            any = 1;
        }
    }
    if (!any) {
        printf("-");
    }
}

/* Table cells: a '|' would end the cell early. */
static void print_cell(const char *s)
{
    for (; *s; s++) {
        if (*s == '|') {
            fputs("\\|", stdout);
        } else {
            putchar(*s);
        }
    }
}

int main(void)
{
    puts("# sofa status codes\n");
    puts("<!-- Generated from include/sofa/status.h by tests/core/gen_errors_md.c: do not edit.");
    puts("     Regenerate with: cmake --build build --target errors_md");
    puts("     The test core_errors_md fails when this file and the table differ. -->\n");
    puts("Every function that can fail returns a `sofa_status` (an `int`): `SOFA_OK` (0) or a");
    puts("negative code. Numbers never change once released. `sofa_strerror()` gives the message,");
    puts("`sofa_status_name()` the name without the `SOFA_` prefix, `sofa_status_category()` and");
    puts("`sofa_status_flags()` the other columns. See docs/conventions.md for the error model.\n");
    puts("Flags:\n");
    puts("- **transient**: a later identical attempt may succeed.");
    puts("- **retryable**: sofa retries it itself until the operation's deadline; you see it only");
    puts("  when the deadline passes first.");
    puts("- **ambiguous**: a mutation may or may not have been applied (it was sent, and no reply");
    puts("  came back). Read the document before retrying a non-idempotent change.");
    puts("- **fatal**: the client cannot go on (for example bad credentials); destroy it.\n");
    puts("| Number | Name | Category | Flags | Message |");
    puts("|---:|---|---|---|---|");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        printf("| %d | `%s` | %s | ", rows[i].num, rows[i].name,
               sofa_category_name(sofa_status_category(rows[i].num)));
        print_flags(sofa_status_flags(rows[i].num));
        printf(" | ");
        print_cell(rows[i].msg);
        printf(" |\n");
    }
    printf("\n%zu codes.\n", sizeof(rows) / sizeof(rows[0]));
    return 0;
}
