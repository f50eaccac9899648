/* select.h — which registered strategies a conformance test covers.
 *
 * All of them, unless the environment variable MM_TEST_STRATEGIES names some
 * ("bump,pool"): `./mmbench test --full` uses it to run the suite under valgrind for the
 * in-house strategies only, and each peer's preloaded test (allocators/peers.bzl) for that
 * peer only. A name the registry does not know is a user's mistake: one line on stderr
 * naming the valid ones, exit status 2. A selected strategy that cannot run here (a peer
 * that is not the process's malloc) is the test's to skip, with the reason.
 *
 * The environment variable MM_TEST_LAYER=per-thread (the conformance/BUILD targets named
 * *_per_thread set it) runs a suite through per-thread heaps instead: mm_test_open opens
 * each heap as mm_perthread_open (allocators/perthread.h) does, and only the strategies
 * that layer serves (in-house, not thread-safe themselves) are selected. The suite's
 * single thread is then one owner among possible many: the same contract must hold.
 */
#ifndef MM_TEST_SELECT_H
#define MM_TEST_SELECT_H

#include "allocators/mm.h"

bool mm_test_selected(const mm_strategy *s);
/* Opens a heap of `s` as the suite runs it: mm_open, or per-thread heaps (above). */
mm_heap *mm_test_open(const mm_strategy *s, const mm_config *config, mm_error *err);
/* True under MM_TEST_LAYER=per-thread. */
bool mm_test_per_thread(void);

#endif
