/* Text and HTML views of a calibration object. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "calib.h"
#include "calib_report.h"
#include "html_escape.h"

static double num(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "0.7123" or "undefined". */
static const char *fmt(char *buf, size_t len, double v, int digits) {
    if (isnan(v))
        snprintf(buf, len, "undefined");
    else
        snprintf(buf, len, "%.*f", digits, v);
    return buf;
}

static const char *fmt_ci(char *buf, size_t len, const json_t *ci) {
    if (!json_is_array(ci)) {
        snprintf(buf, len, "%s", json_is_null(ci) ? "undefined" : "");
        return buf;
    }
    snprintf(buf, len, "[%.3f, %.3f]", json_number_value(json_array_get(ci, 0)),
             json_number_value(json_array_get(ci, 1)));
    return buf;
}

typedef struct row {
    const char *key, *label, *ci, *note;
} row;

static const row rows[] = {
    {"pearson", "Pearson r", "pearson_ci", "examiner score vs judge score"},
    {"spearman", "Spearman rho", NULL, ""},
    {"kendall_tau_b", "Kendall tau-b", NULL, ""},
    {"qwk", "QWK", "qwk_ci", "quadratic weighted kappa on the judge's integer scale"},
    {"mae", "MAE", NULL, "examiner rescaled to the judge's scale"},
    {"rmse", "RMSE", NULL, ""},
    {"bias", "bias", NULL, "mean of examiner minus judge"},
    {"mae_calibrated", "MAE calibrated", NULL, "after the isotonic map (in-sample)"},
    {"ece", "ECE", NULL, "expected calibration error, judge units"},
    {"alpha", "Krippendorff alpha", NULL, "interval, between judges"},
};

void exam_calib_print_table(FILE *out, const json_t *calib) {
    char b1[64], b2[64];
    const char *cohort = json_string_value(json_object_get(calib, "cohort"));
    fprintf(out, "calibration%s%s: %lld judged pairs, judge scale 0..%g, fitted %s\n",
            cohort ? " of cohort " : "", cohort ? cohort : "",
            (long long)json_integer_value(json_object_get(calib, "n")), num(calib, "scale_max"),
            json_string_value(json_object_get(calib, "fitted_at")));
    fprintf(out, "  %-20s %10s  %-18s %s\n", "statistic", "value", "95% interval", "");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(out, "  %-20s %10s  %-18s %s\n", rows[i].label,
                fmt(b1, sizeof b1, num(calib, rows[i].key), 4),
                rows[i].ci ? fmt_ci(b2, sizeof b2, json_object_get(calib, rows[i].ci)) : "",
                rows[i].note);
    fprintf(out, "  (alpha over %lld answers scored by %lld judges)\n",
            (long long)json_integer_value(json_object_get(calib, "alpha_items")),
            (long long)json_integer_value(json_object_get(calib, "alpha_judges")));
    fprintf(out, "\nreliability (bins of examiner's score on the judge's scale)\n");
    fprintf(out, "  %-13s %5s %10s %10s\n", "bin", "n", "examiner", "judge");
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(calib, "reliability"), i, b) {
        char bin[32];
        snprintf(bin, sizeof bin, "%.2f-%.2f", num(b, "lo"), num(b, "hi"));
        fprintf(out, "  %-13s %5lld %10s %10s\n", bin,
                (long long)json_integer_value(json_object_get(b, "n")),
                fmt(b1, sizeof b1, num(b, "mean_examiner"), 2),
                fmt(b2, sizeof b2, num(b, "mean_judge"), 2));
    }
    json_t *iso = json_object_get(calib, "isotonic");
    json_t *xs = json_object_get(iso, "x"), *ys = json_object_get(iso, "y");
    fprintf(out, "\nisotonic map (examiner score -> judge scale), %zu knots:\n ",
            json_array_size(xs));
    for (i = 0; i < json_array_size(xs); i++)
        fprintf(out, " %.2f->%.2f", json_number_value(json_array_get(xs, i)),
                json_number_value(json_array_get(ys, i)));
    json_t *dis = json_object_get(calib, "disagreements");
    fprintf(out, "\n\nfor review: %zu answers where |calibrated - judge| > %g\n",
            json_array_size(dis), num(calib, "threshold"));
    if (json_array_size(dis))
        fprintf(out, "  %-34s %-12s %6s %10s %6s %6s\n", "id", "candidate", "score", "calibrated",
                "judge", "diff");
    json_array_foreach(dis, i, b) {
        const char *id = json_string_value(json_object_get(b, "id"));
        const char *cand = json_string_value(json_object_get(b, "candidate"));
        fprintf(out, "  %-34s %-12s %6.2f %10.2f %6.2f %+6.2f\n", id ? id : "-", cand ? cand : "-",
                num(b, "score"), num(b, "score_calibrated"), num(b, "judge"), num(b, "diff"));
    }
}

/* The reliability diagram: mean judge score per examiner-score bin against the diagonal, with
 * the isotonic map as a line; both axes on the judge's scale. */
static void diagram(FILE *out, const json_t *calib) {
    const double w = 320, h = 320, pad = 36;
    double scale = num(calib, "scale_max");
    if (!(scale > 0)) return;
#define PX(v) (pad + (v) / scale * (w - 2 * pad))
#define PY(v) (h - pad - (v) / scale * (h - 2 * pad))
    fprintf(out,
            "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"reliability diagram\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
            "height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>",
            w, h, w, h, pad, pad, w - 2 * pad, h - 2 * pad);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\" "
            "stroke-dasharray=\"4 3\"/>",
            PX(0), PY(0), PX(scale), PY(scale));
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(calib, "reliability"), i, b) {
        double me = num(b, "mean_examiner"), mj = num(b, "mean_judge");
        if (isnan(me) || isnan(mj)) continue;
        double r = 3 + sqrt((double)json_integer_value(json_object_get(b, "n")));
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#1565c0\" fill-opacity=\".6\">"
                "<title>examiner %.2f, judge %.2f, n %lld</title></circle>",
                PX(me), PY(mj), r, me, mj, (long long)json_integer_value(json_object_get(b, "n")));
    }
    json_t *iso = json_object_get(calib, "isotonic");
    json_t *xs = json_object_get(iso, "x"), *ys = json_object_get(iso, "y");
    fputs("<polyline fill=\"none\" stroke=\"#c62828\" stroke-width=\"2\" points=\"", out);
    for (i = 0; i < json_array_size(xs); i++)
        fprintf(out, "%.1f,%.1f ", PX(json_number_value(json_array_get(xs, i)) * scale / 10.0),
                PY(json_number_value(json_array_get(ys, i))));
    fputs("\"/>", out);
    fprintf(out,
            "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"12\">examiner "
            "(judge scale)</text><text x=\"12\" y=\"%.0f\" font-size=\"12\" "
            "transform=\"rotate(-90 12 %.0f)\" text-anchor=\"middle\">judge</text>"
            "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">0</text>"
            "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%g</text></svg>",
            w / 2, h - 8, h / 2, h / 2, pad - 10, h - pad + 14, w - pad - 8, h - pad + 14, scale);
#undef PX
#undef PY
}

exam_status exam_calib_write_html(FILE *out, const json_t *calib) {
    char b1[64], b2[64];
    fprintf(out,
            "<section class=\"calib\"><h2>Agreement with the judge</h2><p>%lld judged "
            "answers, judge scale 0&ndash;%g, fitted ",
            (long long)json_integer_value(json_object_get(calib, "n")), num(calib, "scale_max"));
    exam_html_escape(out, json_string_value(json_object_get(calib, "fitted_at")), 0);
    fputs(".</p><div style=\"display:flex;gap:2em;flex-wrap:wrap\"><table><tr><th>statistic</th>"
          "<th>value</th><th>95% interval</th><th></th></tr>",
          out);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fprintf(out, "<tr><td class=\"c\">%s</td><td>%s</td><td>%s</td><td class=\"c\"><small>",
                rows[i].label, fmt(b1, sizeof b1, num(calib, rows[i].key), 3),
                rows[i].ci ? fmt_ci(b2, sizeof b2, json_object_get(calib, rows[i].ci)) : "");
        exam_html_escape(out, rows[i].note, 0);
        fputs("</small></td></tr>", out);
    }
    fputs("</table><figure style=\"margin:0\">", out);
    diagram(out, calib);
    fputs("<figcaption><small>Reliability: mean judge score per bin of examiner's score (dots, "
          "area ~ count), the diagonal, and the fitted isotonic map (red).</small></figcaption>"
          "</figure></div>",
          out);
    json_t *dis = json_object_get(calib, "disagreements");
    fprintf(out,
            "<h3>For review (%zu)</h3><p><small>Answers whose calibrated score differs from "
            "the judge's by more than %g.</small></p>",
            json_array_size(dis), num(calib, "threshold"));
    if (json_array_size(dis)) {
        fputs("<table><tr><th class=\"c\">id</th><th class=\"c\">candidate</th><th>score</th>"
              "<th>calibrated</th><th>judge</th><th>diff</th></tr>",
              out);
        size_t i;
        json_t *d;
        json_array_foreach(dis, i, d) {
            fputs("<tr><td class=\"c\">", out);
            exam_html_escape(out, json_string_value(json_object_get(d, "id")), 0);
            fputs("</td><td class=\"c\">", out);
            exam_html_escape(out, json_string_value(json_object_get(d, "candidate")), 0);
            fprintf(out, "</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%+.2f</td></tr>",
                    num(d, "score"), num(d, "score_calibrated"), num(d, "judge"), num(d, "diff"));
        }
        fputs("</table>", out);
    }
    fputs("</section>", out);
    if (ferror(out)) return exam_error_set(EXAM_ERR_IO, "cannot write the calibration section");
    return EXAM_OK;
}

exam_status exam_calib_write_page(const char *path, const json_t *calib) {
    FILE *f = fopen(path, "w");
    if (!f) return exam_error_set(EXAM_ERR_IO, "cannot write %s", path);
    fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>examiner calibration</title><style>body{font-family:sans-serif;"
          "margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ddd;"
          "padding:.2em .5em;text-align:right}.c{text-align:left}</style></head><body>",
          f);
    int ok = exam_calib_write_html(f, calib) == EXAM_OK;
    fputs("</body></html>\n", f);
    ok = fclose(f) == 0 && ok;
    return ok ? EXAM_OK : exam_error_set(EXAM_ERR_IO, "cannot write %s", path);
}

exam_status exam_calib_fit_results(json_t *const *results, size_t n, json_t **calib) {
    *calib = NULL;
    exam_calib_accum *a;
    exam_status st = exam_calib_accum_init(&a);
    if (st != EXAM_OK) return st;
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        st = exam_calib_accum_add_result(a, results[i]);
        if (st == EXAM_ERR_NOT_FOUND) st = EXAM_OK;
    }
    if (st == EXAM_OK && exam_calib_accum_count(a)) st = exam_calib_fit(a, NULL, calib);
    exam_calib_accum_free(a);
    return st;
}
