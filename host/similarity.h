/* Host-array wrappers around the backend's similarity ops (cosine_matrix, greedy_match): they
 * upload the inputs, run the op on the backend and download the result. */
#ifndef EXAM_SIMILARITY_H
#define EXAM_SIMILARITY_H

#include "backend.h"
#include "error.h"

/* out[i*n + j] = cos(a[i], b[j]) for a [m × dim] and b [n × dim] on backend be.
 * m or n of 0 is allowed and does nothing. Errors: EXAM_ERR_BACKEND, EXAM_ERR_NOMEM. */
exam_status exam_sim_cosine(exam_backend *be, const float *a, int m, const float *b, int n, int dim,
                            float *out);

/* Greedy token matching for n_pairs pairs (see exam_backend_ops.greedy_match): candidate rows
 * a_off[p]..a_off[p+1]-1 of a against reference rows b_off[p]..b_off[p+1]-1 of b. a_best gets
 * a_off[n_pairs] entries, b_best b_off[n_pairs]. Errors: EXAM_ERR_BACKEND, EXAM_ERR_NOMEM. */
exam_status exam_sim_greedy(exam_backend *be, const float *a, const int *a_off, const float *b,
                            const int *b_off, int n_pairs, int dim, float *a_best, float *b_best);

#endif
