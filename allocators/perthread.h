/* perthread.h — per-thread heaps: any in-house strategy serving many threads at once.
 *
 *   mm_heap *h = mm_perthread_open(strategy, config, err);   a heap every thread may use:
 *                each thread allocates from a heap of the strategy of its own; a block
 *                freed by another thread goes back to its heap through that heap's
 *                mailbox; heaps of exited threads are adopted by new ones
 *   mm_close(h);                                             with no thread inside it
 *
 * The design, with a picture: docs/threads.md. Like locked.h's wrapper (one mutex around
 * one heap, its alternative), this is a layer under the strategy's name, not a strategy
 * of its own. It needs every block in page-layer memory (capability `limit`), where the
 * pagemap tells whose block a pointer is.
 *
 *   mm_open_in_house(s, config, options, err)
 *                opens s with every block in page-layer memory: a strategy that hands
 *                some requests to a fallback strategy (pool's, above 512 B) gets
 *                fallback=best-fit in front of config's own options (which still win),
 *                since a fallback on the C library would leave blocks outside the page
 *                layer (and, in the drop-in, call the very malloc being replaced). The
 *                options it opened with are written to `options`.
 *   mm_perthread_fork(h, phase)
 *                pthread_atfork's three phases (the drop-in registers them): before fork
 *                every heap is stopped between operations, so the child inherits each one
 *                whole; in the child, the heaps of the threads that did not come along
 *                are abandoned, for the child's threads to adopt.
 */
#ifndef MM_PERTHREAD_H
#define MM_PERTHREAD_H

#include "allocators/mm.h"

#define MM_OPTIONS_MAX 512

typedef enum { MM_FORK_PREPARE, MM_FORK_PARENT, MM_FORK_CHILD } mm_fork_phase;

mm_heap *mm_perthread_open(const mm_strategy *s, const mm_config *config, mm_error *err);
mm_heap *mm_open_in_house(const mm_strategy *s, const mm_config *config, char options[MM_OPTIONS_MAX],
                          mm_error *err);
void mm_perthread_fork(mm_heap *h, mm_fork_phase phase);
/* Thread heaps opened so far (a heap outlives its thread, to be adopted). */
size_t mm_perthread_heaps(mm_heap *h);
/* Tests: the handshake with seq_cst exchanges on both sides, as where the kernel has no
 * membarrier(2). Call before the first mm_perthread_open of the process. */
void mm_perthread_use_fences(void);

#endif
