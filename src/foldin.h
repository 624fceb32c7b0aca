/*
 * foldin.h -- solve one user's factor vector against fixed title factors
 * (implicit-feedback ALS, Hu, Koren & Volinsky 2008).  No PostgreSQL calls.
 *
 * With Y the title factors (nitems x f, row-major), the user's events
 * (title row i, weight w_i), confidence c_i = 1 + alpha w_i and preference
 * p_i = 1 for the events (c = 1, p = 0 elsewhere), the user vector
 * minimising  sum_i c_i (p_i - x.y_i)^2 + lambda |x|^2  is
 *
 *     x = (Y'Y + Y'(C - I)Y + lambda I)^-1  Y'C p
 *       = (G + sum_i alpha w_i y_i y_i' + lambda I)^-1  sum_i c_i y_i
 *
 * G = Y'Y is the same for every user of a model, so it is computed once
 * (foldin_gram) and cached; a solve then costs O(n f^2 + f^3) for a user
 * with n events.  Events with weight <= 0 carry no preference here (they
 * are treated like unobserved titles), which keeps the matrix positive
 * definite whatever the input.
 */
#ifndef NFREC_FOLDIN_H
#define NFREC_FOLDIN_H

#include "c.h"

/* G = Y'Y, the full symmetric f x f matrix (row-major). */
extern void foldin_gram(const float *Y, int nitems, int f, float *G);

/*
 * Solve for x (f floats).  rows[0..n) are title rows of Y, w[] their
 * weights.  work must hold f*f floats.  Returns 0 on success, or the
 * LAPACK info code (> 0: the matrix is not positive definite, which only
 * happens with lambda <= 0 and degenerate factors; x is then zeroed).
 */
extern int	foldin_solve(const float *G, const float *Y, int f,
						 const int32 *rows, const float *w, int n,
						 double alpha, double lambda, float *work, float *x);

#endif
