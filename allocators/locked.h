/* locked.h — a heap behind a mutex, so single-threaded strategies can serve threads.
 *
 *   mm_heap *l = mm_locked_wrap(inner);   every operation on `l` takes one mutex, then
 *                                         calls `inner` through its table
 *   mm_locked_unwrap(l);                  frees the wrapper only (inner stays open)
 *   mm_locked_hold(l) / mm_locked_release(l)
 *                                         take and give back the mutex from outside: the
 *                                         drop-in holds it across fork (pthread_atfork),
 *                                         so the child inherits the heap between calls
 *
 * The wrapper is not a strategy of its own (it is in no list): the thread workloads'
 * -shared variants put it around every strategy without MM_CAP_THREADS, and the drop-in
 * with threads=shared, beside per-thread heaps (perthread.h), its alternative.
 * mm_close(l) closes the inner heap too.
 */
#ifndef MM_LOCKED_H
#define MM_LOCKED_H

#include "allocators/mm.h"

mm_heap *mm_locked_wrap(mm_heap *inner); /* NULL when out of memory */
void mm_locked_unwrap(mm_heap *locked);
void mm_locked_hold(mm_heap *locked);
void mm_locked_release(mm_heap *locked);

#endif
