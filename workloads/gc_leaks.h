/* gc_leaks.h — for tests that run a collector which leaks cycles by design (rc, gc.h):
 * under LeakSanitizer the memory of what it leaked is unreachable for good, and that is
 * the documented behaviour a test asserts, not a leak of the test. Around such a run:
 *   GC_LEAKS_EXPECTED_BEGIN(yes); ... GC_LEAKS_EXPECTED_END(yes);
 * Elsewhere (no LeakSanitizer) both do nothing. */
#ifndef WL_GC_LEAKS_H
#define WL_GC_LEAKS_H

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define GC_LEAKS_EXPECTED_BEGIN(yes) ((yes) ? __lsan_disable() : (void)0)
#define GC_LEAKS_EXPECTED_END(yes) ((yes) ? __lsan_enable() : (void)0)
#else
#define GC_LEAKS_EXPECTED_BEGIN(yes) ((void)(yes))
#define GC_LEAKS_EXPECTED_END(yes) ((void)(yes))
#endif

/* A collector that counts but never collects cycles leaks every cycle it is given. */
#define GC_LEAKS_CYCLES(caps) (((caps) & GC_CAP_COUNTS) && !((caps) & GC_CAP_CYCLES))

#endif
