/* What the parts of test_surface share (tests/c/test_surface.c is the
 * program and runs every test; tests/c/test_surface/ holds the other parts):
 * the dev server, the client under test, and the tests each part defines. */
#ifndef M2M_TEST_SURFACE_H
#define M2M_TEST_SURFACE_H

#include "support/clients.h"
#include "support/testlib.h"

#define CLIENT_ID "surface-client"
#define SECRET "surface-secret+/&="

/* The dev server of the run (started by main). */
extern devserver srv;

/* stats.c */
void every_stat_counts(void);
/* errors.c */
void every_error_field_on_real_errors(void);
/* logs.c */
void the_log_callback_gets_a_warning_for_a_failed_request(void);

#endif
