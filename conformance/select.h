/* select.h — which registered strategies a conformance test covers.
 *
 * All of them, unless the environment variable MM_TEST_STRATEGIES names some
 * ("bump,pool"): `./mmbench test --full` uses it to run the suite under valgrind for the
 * in-house strategies only. A name the registry does not know is a user's mistake: one
 * line on stderr naming the valid ones, exit status 2. A strategy that cannot run here
 * (a peer whose library is not installed) is never selected: tests skip it.
 */
#ifndef MM_TEST_SELECT_H
#define MM_TEST_SELECT_H

#include "allocators/mm.h"

bool mm_test_selected(const mm_strategy *s);

#endif
