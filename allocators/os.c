/* os.c — the page layer: the only place in-house strategies get memory from the OS.
 *
 * Vocabulary
 *   mapping   one mm_pages_map call's memory: whole pages, zero-filled, unmapped whole.
 *   mapped    bytes of all live mappings of one mm_pages (each heap has its own), so a
 *             heap's footprint is exact; peak_mapped is the most ever mapped at once.
 *   charged   bytes another heap holds for this one (pool's fallback): a page layer
 *             `within` this one charges each of its maps here, and a heap charges by hand
 *             what a fallback without a page layer holds for it.
 *   limit     optional ceiling on `mapped + charged`: a map or charge that would pass it,
 *             or pass a limit the layer is within, returns NULL / false (a strategy turns
 *             that into a NULL from alloc; nothing crashes).
 *
 * Invariants
 *   mapped == sum of the sizes of live mappings;  peak_mapped >= mapped;
 *   charged == what the layers within this one map + what was charged by hand;
 *   limit == 0 || mapped + charged <= limit.
 *
 * Alignment beyond a page is had by mapping `bytes + align` and trimming both ends, so
 * the accounting only ever sees the aligned mapping that is handed out.
 */
#include "mm.h"

#include <assert.h>
#include <sys/mman.h>
#include <unistd.h>

size_t mm_page_size(void) {
    static size_t page;
    if (page == 0) page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

static void *os_map(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static bool fits(const mm_pages *pages, size_t bytes) {
    return pages->limit == 0 || bytes <= pages->limit - pages->mapped - pages->charged;
}

bool mm_pages_charge(mm_pages *pages, size_t bytes) {
    if (!fits(pages, bytes) || (pages->within && !mm_pages_charge(pages->within, bytes))) return false;
    pages->charged += bytes;
    return true;
}

void mm_pages_uncharge(mm_pages *pages, size_t bytes) {
    assert(bytes <= pages->charged && "page layer: uncharging more than is charged");
    pages->charged -= bytes;
    if (pages->within) mm_pages_uncharge(pages->within, bytes);
}

/* A map the OS refused gives back what was charged for it where it is within. */
static void *refused(mm_pages *pages, size_t bytes) {
    if (pages->within) mm_pages_uncharge(pages->within, bytes);
    return NULL;
}

void *mm_pages_map(mm_pages *pages, size_t bytes, size_t align) {
    const size_t page = mm_page_size();
    if (bytes == 0 || bytes > SIZE_MAX / 2) return NULL;
    bytes = mm_align_up(bytes, page);
    if (align < page) align = page;
    assert(mm_is_power_of_two(align) && "page layer: alignment must be a power of two");
    if (align != page && bytes > SIZE_MAX / 2 - align) return NULL;
    if (!fits(pages, bytes) || (pages->within && !mm_pages_charge(pages->within, bytes))) return NULL;

    char *p;
    if (align == page) {
        p = os_map(bytes);
        if (p == NULL) return refused(pages, bytes);
    } else {
        char *raw = os_map(bytes + align);
        if (raw == NULL) return refused(pages, bytes);
        p = (char *)mm_align_up((uintptr_t)raw, align);
        size_t head = (size_t)(p - raw), tail = align - head;
        if (head) munmap(raw, head);
        if (tail) munmap(p + bytes, tail);
    }
    pages->mapped += bytes;
    if (pages->mapped > pages->peak_mapped) pages->peak_mapped = pages->mapped;
    pages->map_calls++;
    return p;
}

void mm_pages_unmap(mm_pages *pages, void *p, size_t bytes) {
    if (p == NULL) return;
    bytes = mm_align_up(bytes, mm_page_size());
    assert(bytes <= pages->mapped && "page layer: unmapping more than is mapped");
    munmap(p, bytes);
    pages->mapped -= bytes;
    pages->unmap_calls++;
    if (pages->within) mm_pages_uncharge(pages->within, bytes);
}

void mm_pages_hint_huge(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: where THP is off it changes nothing */
#else
    (void)p, (void)bytes;
#endif
}

void mm_pages_stats(const mm_pages *pages, mm_stats *out) {
    out->footprint = pages->mapped;
    out->peak_footprint = pages->peak_mapped;
    out->map_calls = pages->map_calls;
    out->unmap_calls = pages->unmap_calls;
}
