/* mm_valgrind.h — tells valgrind's memcheck which bytes of a heap are blocks, so it can
 * report use after free, reads of uninitialised block memory and leaks inside in-house
 * strategies as precisely as it does for malloc (`./mmbench test --full` runs the
 * conformance suite under memcheck).
 *
 * Vocabulary
 *   pool     one heap: memcheck's "memory pool" anchored at the heap struct's address.
 *            Created in open, destroyed in close (which forgets every block still in it).
 *   block    what alloc hands out, announced with its *usable* size (a caller may use
 *            every usable byte); announced blocks start undefined, freed ones become
 *            inaccessible.
 *   metadata a strategy's own headers, links and tags. Memory from the page layer is
 *            defined and accessible to memcheck, so metadata outside blocks needs no
 *            annotation. A strategy that keeps metadata *inside* a freed block (a free-list
 *            link) brackets its accesses with mm_vg_open_metadata / mm_vg_close_metadata.
 *
 * Invariants
 *   every block alloc returns is announced exactly once, every block free accepts is
 *   retired exactly once, realloc in place announces the new usable size;
 *   mm_vg_pool_destroy runs before the heap's own memory is unmapped.
 *
 * The annotations are compiled only into the memcheck build (`bazel build
 * --config=memcheck`, which defines MM_MEMCHECK: what `./mmbench test --full` runs under
 * valgrind). Everywhere else they compile to nothing: each client request costs about a
 * dozen instructions and a stack frame, which on an allocation fast path of twenty
 * instructions would be measured as the strategy's own cost.
 */
#ifndef MM_VALGRIND_H
#define MM_VALGRIND_H

#if defined(MM_MEMCHECK) && defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#define MM_VALGRIND 1
#endif
#endif

#ifdef MM_VALGRIND
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#define mm_vg_pool_create(heap) VALGRIND_CREATE_MEMPOOL((heap), 0, 0)
#define mm_vg_pool_destroy(heap) VALGRIND_DESTROY_MEMPOOL((heap))
#define mm_vg_alloc(heap, p, usable) VALGRIND_MEMPOOL_ALLOC((heap), (p), (usable))
#define mm_vg_free(heap, p) VALGRIND_MEMPOOL_FREE((heap), (p))
/* A block resized in place (same address, new usable size). memcheck leaves the bytes'
 * accessibility as it was: a block grown over memory the strategy had closed also needs
 * mm_vg_undefined on the new bytes. */
#define mm_vg_resize(heap, p, usable) VALGRIND_MEMPOOL_CHANGE((heap), (p), (p), (usable))
/* Bytes that become the caller's without being written (a block grown in place). */
#define mm_vg_undefined(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
/* Nonzero under valgrind (whose malloc replaces the C library's). */
#define mm_vg_running() RUNNING_ON_VALGRIND
/* Metadata kept inside freed memory: open before touching it, close after. */
#define mm_vg_open_metadata(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#define mm_vg_close_metadata(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#else
#define mm_vg_pool_create(heap) ((void)(heap))
#define mm_vg_pool_destroy(heap) ((void)(heap))
#define mm_vg_alloc(heap, p, usable) ((void)(heap), (void)(p), (void)(usable))
#define mm_vg_free(heap, p) ((void)(heap), (void)(p))
#define mm_vg_resize(heap, p, usable) ((void)(heap), (void)(p), (void)(usable))
#define mm_vg_undefined(p, n) ((void)(p), (void)(n))
#define mm_vg_running() 0
#define mm_vg_open_metadata(p, n) ((void)(p), (void)(n))
#define mm_vg_close_metadata(p, n) ((void)(p), (void)(n))
#endif

#endif
