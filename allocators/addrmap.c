/* addrmap.c — the region map of addrmap.h: open addressing, linear probing, no tombstones. */
#include "addrmap.h"

#include <string.h>

size_t mm_addrmap_bytes(const mm_addrmap *m) {
    return m->slots ? mm_align_up((m->mask + 1) * sizeof(mm_addrmap_slot), mm_page_size()) : 0;
}

static void place(mm_addrmap *m, uintptr_t key, uintptr_t value) {
    size_t i = mm_addrmap_hash(m, key);
    while (m->slots[i].key != 0) i = (i + 1) & m->mask;
    m->slots[i] = (mm_addrmap_slot){key, value};
}

bool mm_addrmap_insert(mm_addrmap *m, mm_pages *pages, uintptr_t key, uintptr_t value) {
    if (m->slots == NULL || 2 * (m->count + 1) > m->mask + 1) {
        unsigned bits = m->slots ? m->bits + 1 : 8;
        size_t n = (size_t)1 << bits, bytes = n * sizeof(mm_addrmap_slot);
        mm_addrmap_slot *slots = mm_pages_map(pages, bytes, 0);
        if (slots == NULL) return false;
        mm_addrmap old = *m;
        m->slots = slots, m->bits = bits, m->mask = n - 1;
        for (size_t i = 0; old.slots && i <= old.mask; i++)
            if (old.slots[i].key) place(m, old.slots[i].key, old.slots[i].value);
        if (old.slots) mm_pages_unmap(pages, old.slots, mm_addrmap_bytes(&old));
    }
    place(m, key, value);
    m->count++;
    return true;
}

void mm_addrmap_remove(mm_addrmap *m, uintptr_t key) {
    mm_addrmap_slot *s = mm_addrmap_find(m, key);
    if (s == NULL) return;
    size_t hole = (size_t)(s - m->slots);
    m->slots[hole].key = 0;
    m->count--;
    /* shift back every later key of the run whose home is not between hole and it */
    for (size_t i = (hole + 1) & m->mask; m->slots[i].key != 0; i = (i + 1) & m->mask) {
        size_t home = mm_addrmap_hash(m, m->slots[i].key);
        bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
        if (stays) continue;
        m->slots[hole] = m->slots[i];
        m->slots[i].key = 0;
        hole = i;
    }
}

void mm_addrmap_release(mm_addrmap *m, mm_pages *pages) {
    if (m->slots) mm_pages_unmap(pages, m->slots, mm_addrmap_bytes(m));
    memset(m, 0, sizeof *m);
}

size_t mm_addrmap_check(const mm_addrmap *m) {
    size_t broken = 0, seen = 0;
    for (size_t i = 0; m->slots && i <= m->mask; i++) {
        uintptr_t key = m->slots[i].key;
        if (key == 0) continue;
        seen++;
        if (key & (((uintptr_t)1 << m->shift) - 1)) broken++;
        if (mm_addrmap_find(m, key) != &m->slots[i]) broken++; /* unreachable from its home */
    }
    return broken + (seen != m->count);
}
