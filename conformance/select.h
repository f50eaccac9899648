/* select.h — which registered strategies a conformance test covers.
 *
 * All of them, unless the environment variable MM_TEST_STRATEGIES names some
 * ("bump,pool"): `./mmbench test --full` uses it to run the suite under valgrind for the
 * in-house strategies only, and each peer's preloaded test (allocators/peers.bzl) for that
 * peer only. A name the registry does not know is a user's mistake: one line on stderr
 * naming the valid ones, exit status 2. A selected strategy that cannot run here (a peer
 * that is not the process's malloc) is the test's to skip, with the reason.
 */
#ifndef MM_TEST_SELECT_H
#define MM_TEST_SELECT_H

#include "allocators/mm.h"

bool mm_test_selected(const mm_strategy *s);

#endif
