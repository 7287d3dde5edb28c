/* Reading the reference files of tests/ref (optim_ref.txt, adopt_ref.txt, schedfree_ref.txt,
   muon_ref.txt, adafactor_ref.txt, lookahead_ref.txt, sam_ref.txt): the head of a "case"
   line, and the comparison of a "step" line's numbers with what the header computed.
   Include after harness.h. */
#ifndef OFS_TEST_REFCASE_H
#define OFS_TEST_REFCASE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static int ref_values_checked;   /* numbers compared, over every file */

/* "case NAME PROBLEM key=value ...": desc gets the line after "case ", problem the second
   word, cfg NAME's defaults, changed by adjust (NULL: none), then each key set by name;
   "lrsched" goes to *lrsched and, where rows is not NULL, "shape=RxC" to rows and cols.
   A refused name or key fails a check and returns 0. */
static inline int ref_case_head(char *line, char desc[4096], char problem[32], ofs_optim_config *cfg,
                                void (*adjust)(ofs_optim_config *), double *lrsched, size_t *rows, size_t *cols)
{
    char *tok;
    ofs_optim_kind kind = OFS_SGD;
    ofs_err err;
    snprintf(desc, 4096, "%s", line + 5);
    desc[strcspn(desc, "\n")] = 0;
    tok = strtok(line + 5, " \n");
    if (!tok || ofs_optim_kind_from_name(tok, &kind, &err) != OFS_OK) {
        CHECK(0, "%s: %s", desc, tok ? err.msg : "no optimizer named");
        return 0;
    }
    tok = strtok(NULL, " \n");
    snprintf(problem, 32, "%s", tok ? tok : "");
    *cfg = ofs_optim_defaults(kind);
    if (adjust) adjust(cfg);
    *lrsched = 0;
    while ((tok = strtok(NULL, " \n")) != NULL) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        if (strcmp(tok, "lrsched") == 0) *lrsched = atof(eq + 1);
        else if (rows && strcmp(tok, "shape") == 0) { *rows = strtoul(eq + 1, &eq, 10); *cols = strtoul(eq + 1, NULL, 10); }
        else if (ofs_optim_config_set(cfg, tok, atof(eq + 1), &err) != OFS_OK) { CHECK(0, "%s: %s", desc, err.msg); return 0; }
    }
    return 1;
}

/* n values of got against the next n numbers at *p: within 1e-10 relative in double,
   1e-4 in float; *worst keeps the largest relative error (NaN once a value is NaN). */
static inline void ref_compare(const char *desc, long t, const char *which, const ofs_real *got, size_t n, char **p, double *worst)
{
    size_t i;
    for (i = 0; i < n; i++) {
        double want = strtod(*p, p), g = (double)got[i];
        char what[4200];
        snprintf(what, sizeof what, "%s t=%ld %s[%lu]", desc, t, which, (unsigned long)i);
        if (!(fabs(g - want) <= *worst * fabs(want))) *worst = fabs(g - want) / fabs(want);
        if (sizeof(ofs_real) == sizeof(double)) CHECK_CLOSE(g, want, 1e-10, 1e-13, what);
        else CHECK_CLOSE(g, want, 1e-4, 1e-5, what);
        ref_values_checked++;
    }
}
#endif
