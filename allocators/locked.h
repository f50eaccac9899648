/* locked.h — a heap behind a mutex, so single-threaded strategies can serve threads.
 *
 *   mm_heap *l = mm_locked_wrap(inner);   every operation on `l` takes one mutex, then
 *                                         calls `inner` through its table
 *   mm_locked_unwrap(l);                  frees the wrapper only (inner stays open)
 *
 * The wrapper is not a strategy of its own (it is in no list): the thread workloads put
 * it around every strategy without MM_CAP_THREADS, so a table shows each strategy with
 * the lock it needs. mm_close(l) closes the inner heap too.
 */
#ifndef MM_LOCKED_H
#define MM_LOCKED_H

#include "allocators/mm.h"

mm_heap *mm_locked_wrap(mm_heap *inner); /* NULL when out of memory */
void mm_locked_unwrap(mm_heap *locked);

#endif
